import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { serialize } from 'pg-protocol'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import { TxnStatus } from '../protocol/codes.js'
import type { RoutingState } from '../router/route.js'
import { shardForKey } from '../router/sharding-function.js'
import { routingCommandReply } from './routing-commands.js'

function pool(settings: Record<string, unknown> = {}) {
  const servers = [
    ['10.0.0.1', 5432, 'primary'],
    ['10.0.0.2', 5432, 'replica'],
  ]
  const config = load({
    pools: { app: { ...settings, shards: { '0': { database: 'app', servers } } } },
  }).config
  return buildPools(config).get('app')!.get('alice')!
}

function run(sql: string, routing: RoutingState, settings?: Record<string, unknown>): string | undefined {
  const msg = serialize.query(sql)
  const reply = routingCommandReply(msg, 0, msg.length, routing, pool(settings), TxnStatus.Idle)
  // Bytes below 0x20 (lengths, NULs) shown as '.' so the replies read as text.
  return reply === undefined
    ? undefined
    : [...reply].map((b) => (b < 0x20 ? '.' : String.fromCharCode(b))).join('')
}

describe('PgCat routing commands', () => {
  test('SET SERVER ROLE changes the routing state and answers with its tag', () => {
    const routing: RoutingState = { shard: 0 }
    assert.match(run("SET SERVER ROLE TO 'replica'", routing)!, /^C.*SET SERVER ROLE\.Z.*I$/)
    assert.equal(routing.role, 'replica')
    run("set server role to 'default'", routing)
    assert.equal(routing.role, undefined)
  })

  test('SHOW SERVER ROLE: the client’s role, else auto with splitting, else default_role', () => {
    assert.match(run('show server role', { shard: 0, role: 'primary' })!, /server role.*primary/)
    const split = { query_parser_enabled: true, query_parser_read_write_splitting: true }
    assert.match(run('SHOW SERVER ROLE', { shard: 0 }, split)!, /\.auto.*SELECT 1/)
    assert.match(run('SHOW SERVER ROLE', { shard: 0 }, { default_role: 'replica' })!, /\.replica/)
  })

  test('PRIMARY READS: set, shown, reset to the pool’s', () => {
    const routing: RoutingState = { shard: 0 }
    assert.match(run('show primary reads', routing)!, /\.off/)
    run('SET PRIMARY READS TO on', routing)
    assert.equal(routing.primaryReads, true)
    assert.match(run('show primary reads', routing)!, /\.on/)
    run("SET PRIMARY READS TO 'default'", routing)
    assert.equal(routing.primaryReads, undefined)
  })

  test('a value PgCat refuses gets 22023 with the accepted values; other SQL is not ours', () => {
    const routing: RoutingState = { shard: 0 }
    assert.match(run("SET SERVER ROLE TO 'leader'", routing)!, /C22023.*leader.*'primary', 'replica'/)
    assert.equal(routing.role, undefined)
    assert.equal(run('set search_path = x', routing), undefined)
    assert.equal(run('select 1', routing), undefined)
  })

  test("SET SHARD / SET SHARDING KEY / SHOW SHARD: checked against the pool, answered with PgCat's tags", () => {
    const routing: RoutingState = {}
    assert.match(run('show shard', routing)!, /shard.*\.0.*SELECT 1/, 'one shard: 0')
    assert.match(run("SET SHARD TO '1'", routing)!, /C22023.*shard 1 is not configured/)
    assert.equal(routing.shard, undefined, 'a refused shard leaves the state as it was')
    assert.match(run("set shard to '0'", routing)!, /^C.*SET SHARD\.Z/)
    assert.equal(routing.shard, 0)
    assert.match(run("SET SHARD TO 'ANY'", routing)!, /SET SHARD/)
    assert.equal(routing.shard, undefined)
    assert.match(run("SET SHARDING KEY TO '42'", routing)!, /^C.*SET SHARDING KEY\.Z/)
    assert.equal(routing.shard, 0)
    assert.match(run("SET SHARDING KEY TO 'abc'", routing)!, /C22023/)
  })

  test("SET SHARDING KEY hashes the key over the pool's shards (pg_bigint_hash)", () => {
    const servers = (host: string) => ({ database: 'app', servers: [[host, 5432, 'primary']] })
    const config = load({
      pools: {
        app: { shards: { '0': servers('10.0.0.1'), '1': servers('10.0.0.2'), '2': servers('10.0.0.3') } },
      },
    }).config
    const three = buildPools(config).get('app')!.get('alice')!
    const routing: RoutingState = {}
    for (const key of [1, 2, 3, 42, -7]) {
      const msg = serialize.query(`SET SHARDING KEY TO '${key}'`)
      routingCommandReply(msg, 0, msg.length, routing, three, TxnStatus.Idle)
      assert.equal(routing.shard, shardForKey('pg_bigint_hash', BigInt(key), 3), `key ${key}`)
    }
    const show = serialize.query('show shard')
    routing.shard = undefined
    const reply = routingCommandReply(show, 0, show.length, routing, three, TxnStatus.Idle)!
    assert.match(reply.toString('latin1'), /any/, 'several shards, none chosen: any')
  })
})
