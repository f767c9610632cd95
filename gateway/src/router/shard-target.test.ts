import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { GatewayError } from '../errors.js'
import { buildPools } from '../pool/build-pools.js'
import type { UserPool } from '../pool/user-pool.js'
import { classifySql } from '../sql/index.js'
import {
  checkedShard,
  defaultShard,
  type StatementShardSources,
  shardOfKeyText,
  shardTarget,
} from './shard-target.js'
import { shardForKey } from './sharding-function.js'
import { statementTarget } from './statement-target.js'

/** A pool of three shards, one primary each. */
function pool(settings: Record<string, unknown> = {}): UserPool {
  const shard = (host: string) => ({ database: 'app', servers: [[host, 5432, 'primary']] })
  const shards = { '0': shard('10.0.0.1'), '1': shard('10.0.0.2'), '2': shard('10.0.0.3') }
  return buildPools(load({ pools: { app: { ...settings, shards } } }).config)
    .get('app')!
    .get('alice')!
}

const OUTSIDE = { inTransaction: false }

/** The shard of `sql` with `sources` as the request read them. */
function target(p: UserPool, sql: string, sources?: StatementShardSources, ctx: object = OUTSIDE) {
  const info = classifySql(sql)
  return shardTarget(info, statementTarget(info), sources, { inTransaction: false, ...ctx }, p)
}

/** The GatewayError `fn` throws. */
function thrown(fn: () => unknown): GatewayError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof GatewayError)
    return err
  }
  assert.fail('no error')
}

const keyShard = (k: bigint) => shardForKey('pg_bigint_hash', k, 3)

describe('shard target', () => {
  test("precedence: the statement's key, then shard_id, then sharding_key comment, then the session", () => {
    const p = pool()
    const all = { keys: [7n], shardId: '2', commentKey: '100' }
    assert.equal(target(p, 'select 1', all, { sessionShard: 0 }), keyShard(7n))
    assert.equal(target(p, 'select 1', { shardId: '2', commentKey: '100' }, { sessionShard: 0 }), 2)
    assert.equal(target(p, 'select 1', { commentKey: '100' }, { sessionShard: 0 }), keyShard(100n))
    assert.equal(target(p, 'insert into t values (1)', {}, { sessionShard: 1 }), 1)
  })

  test('keys on one shard pick it; on several, a write is refused and a read fans out only with cross_shard_reads', () => {
    const p = pool()
    let other = 2n
    while (keyShard(other) === keyShard(1n)) other++
    let same = 2n
    while (keyShard(same) !== keyShard(1n)) same++
    assert.equal(target(p, 'select 1', { keys: [1n, same] }), keyShard(1n))
    const write = thrown(() => target(p, 'delete from t', { keys: [1n, other] }))
    assert.equal(write.sqlstate, '0A000')
    assert.match(write.message, /on shards \d, \d/)
    assert.match(thrown(() => target(p, 'select 1', { keys: [1n, other] })).hint ?? '', /cross_shard_reads/)
    const fan = pool({ cross_shard_reads: true })
    assert.equal(target(fan, 'select * from t', { keys: [1n, other] }), 'cross-shard')
    assert.throws(() => target(fan, 'select * from t', { keys: [1n, other] }, { inTransaction: true }))
  })

  test('nothing named: reads to the default shard or every shard, writes refused, data-free statements anywhere', () => {
    assert.equal(target(pool({ default_shard: 'shard_2' }), 'select * from t'), 2)
    assert.equal(target(pool({ cross_shard_reads: true }), 'select * from t'), 'cross-shard')
    assert.equal(
      target(pool({ cross_shard_reads: true }), 'select * from t', undefined, { inTransaction: true }),
      0,
    )
    const e = thrown(() => target(pool(), 'insert into t values (1)'))
    assert.equal(e.sqlstate, '0A000')
    assert.match(e.hint ?? '', /SET SHARDING KEY TO/)
    for (const sql of ['set search_path = x', 'begin', 'commit', ''])
      assert.equal(target(pool(), sql), 0, sql)
    assert.throws(() => target(pool(), 'vacuum t'), /names none/)
  })

  test('a key error, a describe-only request and an unknown Bind', () => {
    const p = pool()
    const bad = thrown(() =>
      target(p, 'select 1', { keyError: { message: 'x is not a bigint', badValue: true } }),
    )
    assert.equal(bad.sqlstate, '22023')
    const update = thrown(() =>
      target(p, 'update t set id = 1', { keyError: { message: 'updating the key' } }),
    )
    assert.equal(update.sqlstate, '0A000')
    assert.equal(
      target(pool({ default_shard: 'shard_1' }), 'insert into t values ($1)', { runsNothing: true }),
      1,
    )
    assert.throws(() => target(p, '', { unknownStatement: true }), /not known to the gateway/)
    assert.equal(target(p, '', { unknownStatement: true }, { sessionShard: 2 }), 2)
  })

  test('random_healthy avoids shards whose primary is banned; random spreads', () => {
    const p = pool({ default_shard: 'random_healthy' })
    p.shards[0]![0]!.health.ban('test')
    p.shards[2]![0]!.health.ban('test')
    for (let i = 0; i < 50; i++) assert.equal(defaultShard(p), 1)
    const r = pool({ default_shard: 'random' })
    const seen = new Set(Array.from({ length: 200 }, () => defaultShard(r)))
    assert.deepEqual([...seen].sort(), [0, 1, 2])
  })

  test('shard numbers and key texts are checked against the pool', () => {
    const p = pool()
    assert.equal(checkedShard(p, '2', 'SET SHARD'), 2)
    for (const text of ['3', '-1', 'x', '99999999999']) {
      assert.equal(thrown(() => checkedShard(p, text, 'SET SHARD')).sqlstate, '22023', text)
    }
    assert.equal(shardOfKeyText(p, '-9223372036854775808', 'k'), keyShard(-9223372036854775808n))
    for (const text of ['9223372036854775808', '1.5', 'abc', '']) {
      assert.equal(thrown(() => shardOfKeyText(p, text, 'k')).sqlstate, '22023', text)
    }
  })
})
