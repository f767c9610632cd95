/**
 * Read/write splitting against the real topology (a primary and two streaming replicas), issue 19's
 * acceptance 1 and 2: reads spread over the replicas (random, loc, weights), writes on the primary,
 * PgCat's SET/SHOW SERVER ROLE and PRIMARY READS, explicit transactions routed as a whole, extended
 * protocol statements classified at Parse.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import postgres from 'postgres'
import type { ServerConnection } from '../../gateway/src/pool/server-conn.js'
import type { ServerPool } from '../../gateway/src/pool/server-pool.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const SPLIT = `query_parser_enabled = true
query_parser_read_write_splitting = true
primary_reads_enabled = false`

const PORT = 'select inet_server_port() as port'
type Queryable = { query(sql: string | { name: string; text: string }): Promise<pg.QueryResult> }
const portOf = async (c: Queryable, sql: string | { name: string; text: string } = PORT) =>
  Number((await c.query(sql)).rows[0].port)

/** How many of `n` reads each server port answered. */
async function spread(c: Queryable, n: number): Promise<Map<number, number>> {
  const counts = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const port = await portOf(c, `select inet_server_port() as port, ${i} as i`)
    counts.set(port, (counts.get(port) ?? 0) + 1)
  }
  return counts
}

const t = () => topology()
const [r1, r2] = [() => t().replicas[0]!.port, () => t().replicas[1]!.port]

describe('read/write splitting (primary_reads_enabled = false)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ replicas: true, pool: SPLIT, poolSize: 8 })
    const direct = new pg.Client(directUrl())
    await direct.connect()
    await direct.query('drop table if exists rw_split; create table rw_split (id int, port int)')
    await direct.query('grant all on rw_split to public')
    await direct.end()
  })
  after(() => gw.stop())

  test('a read runs on a replica, an INSERT on the primary', async () => {
    await using c = await pgClient(gw.url())
    assert.equal((await c.query('select pg_is_in_recovery() as r')).rows[0].r, true)
    await c.query('insert into rw_split values (1, inet_server_port())')
    const direct = new pg.Client(directUrl())
    await direct.connect()
    const rows = (await direct.query('select port from rw_split where id = 1')).rows
    await direct.end()
    assert.deepEqual(rows, [{ port: t().primary.port }])
  })

  test('1,000 reads (random): at least 30 % on each replica, none on the primary', async () => {
    await using c = await pgClient(gw.url())
    const counts = await spread(c, 1000)
    assert.equal(counts.get(t().primary.port), undefined, 'the primary takes no reads')
    for (const port of [r1(), r2()])
      assert.ok((counts.get(port) ?? 0) >= 300, `replica ${port}: ${[...counts.entries()].join(' ')}`)
  })

  test('SET SERVER ROLE TO primary until auto; SHOW SERVER ROLE and PRIMARY READS answer', async () => {
    await using c = await pgClient(gw.url())
    const show = async (what: string) => Object.values((await c.query(`show ${what}`)).rows[0])[0]
    assert.equal(await show('server role'), 'auto')
    assert.equal(await show('primary reads'), 'off')
    const set = await c.query("SET SERVER ROLE TO 'primary'")
    assert.equal(set.command, 'SET')
    assert.equal(await show('server role'), 'primary')
    for (let i = 0; i < 20; i++) assert.equal(await portOf(c), t().primary.port)
    await c.query("set server role to 'auto'")
    assert.notEqual(await portOf(c), t().primary.port)
    await c.query("SET PRIMARY READS TO 'on'")
    assert.equal(await show('primary reads'), 'on')
    assert.ok((await spread(c, 200)).has(t().primary.port), 'primary reads on: the primary serves reads too')
    await c.query("SET PRIMARY READS TO 'default'")
    await assert.rejects(c.query("SET SERVER ROLE TO 'leader'"), (err: pg.DatabaseError) => {
      assert.equal(err.code, '22023')
      assert.match(err.message, /leader/)
      return true
    })
  })

  test('BEGIN; SELECT; UPDATE; COMMIT runs wholly on the primary, its first read included', async () => {
    await using c = await pgClient(gw.url())
    for (let i = 0; i < 10; i++) {
      await c.query('begin')
      assert.equal(await portOf(c), t().primary.port, 'the read that opens the transaction')
      await c.query('update rw_split set port = port where id = 1')
      await c.query('commit')
    }
  })

  test('read-only transactions use a replica: BEGIN READ ONLY, SET TRANSACTION READ ONLY', async () => {
    await using c = await pgClient(gw.url())
    await c.query('begin read only')
    assert.notEqual(await portOf(c), t().primary.port)
    await c.query('commit')
    await c.query('begin')
    await c.query('set transaction read only')
    assert.notEqual(await portOf(c), t().primary.port)
    await c.query('commit')
    // A held BEGIN with nothing in it: COMMIT and ROLLBACK answer as Postgres does.
    await c.query('begin')
    assert.equal((await c.query('commit')).command, 'COMMIT')
    await c.query('begin')
    assert.equal((await c.query('rollback')).command, 'ROLLBACK')
  })

  test('writes hidden in reads go to the primary: FOR UPDATE, nextval, writable CTEs, SELECT INTO', async () => {
    await using c = await pgClient(gw.url())
    await c.query('create sequence if not exists rw_seq')
    const writes = [
      'select inet_server_port() as port from rw_split where id = 1 for update',
      "select inet_server_port() as port, nextval('rw_seq')",
      'with u as (update rw_split set port = port where id = 1 returning 1) select inet_server_port() as port from u',
    ]
    for (const sql of writes) assert.equal(await portOf(c, sql), t().primary.port, sql)
    await c.query('drop table if exists rw_into; select 1 as a into rw_into; drop table rw_into')
  })

  test('extended protocol: a named statement is classified at Parse and keeps its route', async () => {
    await using c = await pgClient(gw.url())
    const read = { name: 'rw_read', text: 'select inet_server_port() as port' }
    const write = {
      name: 'rw_write',
      text: 'update rw_split set port = port where id = 1 returning inet_server_port() as port',
    }
    for (let i = 0; i < 10; i++) {
      assert.notEqual(await portOf(c, read), t().primary.port, 'the read, executed again')
      assert.equal(await portOf(c, write), t().primary.port, 'the write, executed again')
    }
    const sql = postgres(gw.url(), { max: 1, prepare: true })
    try {
      for (let i = 0; i < 5; i++) {
        const [row] = await sql`select inet_server_port() as port where ${i} >= 0`
        assert.notEqual(Number(row!.port), t().primary.port, 'postgres.js prepared read')
      }
      const [w] =
        await sql`update rw_split set port = port where id = ${1} returning inet_server_port() as port`
      assert.equal(Number(w!.port), t().primary.port)
    } finally {
      await sql.end()
    }
  })
})

/** Checks a connection out of `pool` and keeps it (a long-running client holding it). */
function hold(pool: ServerPool): Promise<ServerConnection> {
  return new Promise((resolve, reject) => pool.checkout({ onCheckout: resolve, onCheckoutError: reject }))
}

describe('load balancing: loc and weights', () => {
  test('loc: with one replica holding long-running connections, the other takes most reads', async () => {
    const gw = await startTestGateway({
      replicas: true,
      pool: `${SPLIT}\nload_balancing_mode = "loc"`,
      poolSize: 8,
    })
    try {
      const servers = gw.gateway.pools.get(t().database, t().users.scram.username)!.shards[0]!
      const slow = servers.find((p) => p.address.port === r1())!
      const held = await Promise.all([hold(slow), hold(slow), hold(slow)])
      const clients = await Promise.all([0, 1, 2, 3].map(() => pgClient(gw.url())))
      const counts = new Map<number, number>()
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 50; i++) {
            const port = await portOf(c)
            counts.set(port, (counts.get(port) ?? 0) + 1)
          }
        }),
      )
      for (const c of clients) await c.end()
      for (const server of held) slow.checkin(server, 'transaction')
      assert.ok((counts.get(r2()) ?? 0) >= 180, `the free replica takes most: ${[...counts.entries()]}`)
    } finally {
      await gw.stop()
    }
  })

  test('weights split reads in proportion (3 : 1)', async () => {
    const weighted = await startTestGateway({
      pool: SPLIT,
      serverList: `["127.0.0.1", ${t().primary.port}, "primary"], ["127.0.0.1", ${r1()}, "replica", 3], ["127.0.0.1", ${r2()}, "replica", 1]`,
    })
    try {
      await using c = await pgClient(weighted.url())
      const counts = await spread(c, 1000)
      const share = (counts.get(r1()) ?? 0) / 1000
      assert.ok(share > 0.68 && share < 0.82, `weight 3 of 4 gets ${share}`)
    } finally {
      await weighted.stop()
    }
  })
})
