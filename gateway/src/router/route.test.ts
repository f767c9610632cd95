import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import type { UserPool } from '../pool/user-pool.js'
import { classifySql } from '../sql/index.js'
import { routeTransaction } from './route.js'

const SELECT = { statement: classifySql('select 1') }

/** A pool with two shards: shard 0 has a primary and two replicas, shard 1 only a primary. */
function pool(): UserPool {
  const config = load({
    pools: {
      app: {
        shards: {
          '0': {
            database: 'app',
            servers: [
              ['10.0.0.1', 5432, 'primary'],
              ['10.0.0.2', 5432, 'replica'],
              ['10.0.0.3', 5432, 'replica'],
            ],
          },
          '1': { database: 'app', servers: [['10.0.1.1', 5432, 'primary']] },
        },
      },
    },
  }).config
  return buildPools(config).get('app')!.get('alice')!
}

const hosts = (d: { candidates: readonly { address: { host: string } }[] }) =>
  d.candidates.map((c) => c.address.host)

describe('route decisions', () => {
  test('the primary of the session’s shard by default, the same decision object every time', () => {
    const p = pool()
    const a = routeTransaction(SELECT, { shard: 0 }, p)
    assert.deepEqual([a.shards, a.role, hosts(a)], [[0], 'primary', ['10.0.0.1']])
    assert.equal(routeTransaction(SELECT, { shard: 0 }, p), a, 'no allocation per transaction')
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 1 }, p)), ['10.0.1.1'])
  })

  test('replicas in turn, the primary as the last candidate', () => {
    const p = pool()
    const state = { shard: 0, role: 'replica' as const }
    const first = routeTransaction(SELECT, state, p)
    const second = routeTransaction(SELECT, state, p)
    assert.equal(first.role, 'replica')
    assert.deepEqual(hosts(first), ['10.0.0.2', '10.0.0.1'])
    assert.deepEqual(hosts(second), ['10.0.0.3', '10.0.0.1'])
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 1, role: 'replica' }, p)), ['10.0.1.1'])
  })

  test("shard 'all' names every shard, one server each", () => {
    const d = routeTransaction(SELECT, { shard: 'all' }, pool())
    assert.deepEqual(d.shards, [0, 1])
    assert.deepEqual(hosts(d), ['10.0.0.1', '10.0.1.1'])
  })

  test('a shard the pool does not have is a 08P01 error naming the range', () => {
    assert.throws(
      () => routeTransaction(SELECT, { shard: 2 }, pool()),
      (err: Error & { sqlstate?: string; hint?: string }) =>
        err.sqlstate === '08P01' && /no shard 2/.test(err.message) && /0 to 1/.test(err.hint ?? ''),
    )
  })
})
