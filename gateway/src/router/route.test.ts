import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import type { UserPool } from '../pool/user-pool.js'
import { classifySql } from '../sql/index.js'
import { mayHoldBegin, type RoutingState, routeTransaction } from './route.js'
import { afterBegin } from './statement-target.js'

const SELECT = { statement: classifySql('select 1') }

/** A pool with two shards: shard 0 has a primary and two replicas, shard 1 only a primary. */
function pool(settings: Record<string, unknown> = {}, servers?: unknown[]): UserPool {
  const config = load({
    pools: {
      app: {
        ...settings,
        shards: {
          '0': {
            database: 'app',
            servers: servers ?? [
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

const SPLIT = { query_parser_enabled: true, query_parser_read_write_splitting: true }
const hosts = (d: { candidates: readonly { address: { host: string } }[] }) =>
  d.candidates.map((c) => c.address.host)
const req = (sql: string) => ({ statement: classifySql(sql) })
/** Where `n` routings of `sql` went first, by host. */
function spread(p: UserPool, sql: string, n = 300, state: RoutingState = { shard: 0 }): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const h = hosts(routeTransaction(req(sql), state, p))[0]!
    counts.set(h, (counts.get(h) ?? 0) + 1)
  }
  return counts
}

describe('route decisions', () => {
  test('writes go to the primary of the session’s shard, the same decision object every time', () => {
    const p = pool(SPLIT)
    const a = routeTransaction(req('insert into t values (1)'), { shard: 0 }, p)
    assert.deepEqual([a.shards, a.role, hosts(a)], [[0], 'primary', ['10.0.0.1']])
    assert.equal(routeTransaction(req('update t set a = 1'), { shard: 0 }, p), a, 'no allocation')
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 1 }, p)), ['10.0.1.1'])
  })

  test('splitting: reads over the replicas only, the primary as the last candidate', () => {
    const counts = spread(pool(SPLIT), 'select 1')
    assert.deepEqual([...counts.keys()].sort(), ['10.0.0.2', '10.0.0.3'])
    for (const n of counts.values()) assert.ok(n > 90, `both replicas get reads: ${[...counts]}`)
    const d = routeTransaction(SELECT, { shard: 0 }, pool(SPLIT))
    assert.equal(d.role, 'replica')
    assert.equal(hosts(d).at(-1), '10.0.0.1')
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 1 }, pool(SPLIT))), ['10.0.1.1'])
  })

  test('splitting with primary reads, default_role any: the primary serves reads too', () => {
    for (const p of [pool({ ...SPLIT, primary_reads_enabled: true }), pool()]) {
      assert.deepEqual([...spread(p, 'select 1').keys()].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3'])
    }
  })

  test('whatever the role, what may write goes to the primary', () => {
    const writes = [
      'insert into t values (1)',
      'select * from t for update',
      'with d as (delete from t returning *) select * from d',
      "select nextval('s')",
      'select 1 into t2',
      'begin',
      'begin; select 1',
      'begin isolation level serializable read only',
      'create table x (a int)',
      'frobnicate',
    ]
    for (const role of [undefined, 'auto', 'any', 'replica'] as const)
      for (const sql of writes)
        assert.deepEqual(
          hosts(routeTransaction(req(sql), { shard: 0, role }, pool(SPLIT))),
          ['10.0.0.1'],
          sql,
        )
  })

  test('read-only transactions and whole read transactions may use a replica', () => {
    for (const sql of ['begin read only', 'begin; select 1; commit', 'show work_mem', 'select 1; select 2']) {
      const d = routeTransaction(req(sql), { shard: 0 }, pool(SPLIT))
      assert.equal(d.role, 'replica', sql)
    }
  })

  test('SET SERVER ROLE: primary sends reads to the primary, replica and any spread them', () => {
    const p = pool(SPLIT)
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 0, role: 'primary' }, p)), ['10.0.0.1'])
    assert.deepEqual([...spread(p, 'select 1', 300, { shard: 0, role: 'replica' }).keys()].sort(), [
      '10.0.0.2',
      '10.0.0.3',
    ])
    assert.equal(spread(p, 'select 1', 300, { shard: 0, role: 'any' }).size, 3)
    assert.equal(spread(p, 'select 1', 300, { shard: 0, primaryReads: true }).size, 3)
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 0 }, pool({ default_role: 'primary' }))), [
      '10.0.0.1',
    ])
  })

  test('weights split reads in proportion; weight 0 only when nothing else is left', () => {
    const p = pool(SPLIT, [
      ['10.0.0.1', 5432, 'primary'],
      ['10.0.0.2', 5432, 'replica', 3],
      ['10.0.0.3', 5432, 'replica', 1],
      ['10.0.0.4', 5432, 'replica', 0],
    ])
    const counts = spread(p, 'select 1', 4000)
    const share = (counts.get('10.0.0.2') ?? 0) / 4000
    assert.ok(share > 0.7 && share < 0.8, `weight 3 of 4: ${share}`)
    assert.equal(counts.get('10.0.0.4'), undefined)
  })

  test('loc: the replica with the fewest outstanding connections', () => {
    const p = pool({ ...SPLIT, load_balancing_mode: 'loc' })
    const busy = p.shards[0]![1]!
    Object.defineProperty(busy, 'outstanding', { get: () => 5 })
    assert.deepEqual([...spread(p, 'select 1').keys()], ['10.0.0.3'])
  })

  test('banned replicas are skipped; with none left reads go to the primary', () => {
    const p = pool(SPLIT)
    p.shards[0]![1]!.health.ban('test')
    assert.deepEqual([...spread(p, 'select 1').keys()], ['10.0.0.3'])
    p.shards[0]![2]!.health.ban('test')
    assert.deepEqual(hosts(routeTransaction(SELECT, { shard: 0 }, p)), ['10.0.0.1'])
  })

  test('after a failover writes follow the server out of recovery, never one in recovery', () => {
    const p = pool(SPLIT)
    const [old, promoted] = p.shards[0]!
    old!.health.recordCheck({ ok: true, inRecovery: true })
    promoted!.health.recordCheck({ ok: true, inRecovery: false })
    assert.deepEqual(hosts(routeTransaction(req('insert into t values (1)'), { shard: 0 }, p)), ['10.0.0.2'])
    assert.ok(
      !hosts(routeTransaction(SELECT, { shard: 0 }, p))
        .slice(0, 1)
        .includes('10.0.0.2'),
    )
    promoted!.health.recordCheck({ ok: true, inRecovery: true })
    assert.throws(
      () => routeTransaction(req('insert into t values (1)'), { shard: 0 }, p),
      (err: Error & { sqlstate?: string }) =>
        err.sqlstate === '08001' && /app\/alice.*shard 0/.test(err.message),
    )
  })

  test('a lone BEGIN without an access mode may be held; others not', () => {
    const p = pool(SPLIT)
    assert.equal(mayHoldBegin(req('begin'), { shard: 0 }, p), true)
    assert.equal(mayHoldBegin(req('begin read write'), { shard: 0 }, p), false)
    assert.equal(mayHoldBegin(req('begin'), { shard: 0, role: 'primary' }, p), false)
    assert.equal(mayHoldBegin(req('begin'), { shard: 1 }, pool()), true)
    assert.equal(mayHoldBegin(req('begin'), { shard: 0 }, pool({}, [['10.0.0.1', 5432, 'primary']])), false)
  })

  test('after a held BEGIN: SET TRANSACTION READ ONLY may use a replica, anything else the primary', () => {
    assert.equal(afterBegin(classifySql('set transaction read only')), 'read')
    assert.equal(afterBegin(classifySql('set transaction read only; select 1')), 'read')
    assert.equal(afterBegin(classifySql('select 1')), 'primary')
    assert.equal(afterBegin(classifySql('set transaction read only; insert into t values (1)')), 'primary')
    const d = routeTransaction(req('select 1'), { shard: 0 }, pool(SPLIT), 'primary')
    assert.deepEqual(hosts(d), ['10.0.0.1'])
  })

  test('a shard of replicas only serves reads; a write is told there is no primary', () => {
    const p = pool(SPLIT, [
      ['10.0.0.2', 5432, 'replica'],
      ['10.0.0.3', 5432, 'replica'],
    ])
    assert.deepEqual([...spread(p, 'select 1').keys()].sort(), ['10.0.0.2', '10.0.0.3'])
    assert.throws(
      () => routeTransaction(req('insert into t values (1)'), { shard: 0 }, p),
      (err: Error & { sqlstate?: string }) =>
        err.sqlstate === '08001' && /no primary for shard 0/.test(err.message),
    )
  })

  test('one server listed as primary and as replica (PgCat’s example) serves both', () => {
    const p = pool(SPLIT, [
      ['10.0.0.1', 5432, 'primary'],
      ['10.0.0.1', 5432, 'replica'],
    ])
    const [primary, replica] = p.shards[0]!
    assert.equal(routeTransaction(SELECT, { shard: 0 }, p).candidates[0], replica)
    assert.equal(routeTransaction(req('insert into t values (1)'), { shard: 0 }, p).candidates[0], primary)
    // Its monitor then finds it out of recovery: reads fall back to the primary entry, never fail.
    replica!.health.recordCheck({ ok: true, inRecovery: false })
    assert.equal(routeTransaction(SELECT, { shard: 0 }, p).candidates[0], primary)
  })

  test("shard 'all' names every shard, one server each", () => {
    const d = routeTransaction(SELECT, { shard: 'all' }, pool())
    assert.deepEqual(d.shards, [0, 1])
    assert.deepEqual(hosts(d), ['10.0.0.1', '10.0.1.1'])
  })

  test('a shard the pool does not have is a 08P01 error naming the range', () => {
    assert.throws(
      () => routeTransaction(req('insert into t values (1)'), { shard: 2 }, pool()),
      (err: Error & { sqlstate?: string; hint?: string }) =>
        err.sqlstate === '08P01' && /no shard 2/.test(err.message) && /0 to 1/.test(err.hint ?? ''),
    )
  })
})
