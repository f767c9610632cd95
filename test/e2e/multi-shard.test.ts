/**
 * The MultiShard binding: a session whose routing state says `shard = 'all'` runs each transaction on
 * every shard primary, and the client receives one reply stream, as from one server.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { parseConfigText } from '../../gateway/src/config/load.js'
import { Gateway } from '../../gateway/src/gateway.js'
import type { ClientSession } from '../../gateway/src/session/client-session.js'
import { freePort } from '../../infra/src/free-port.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway, testConfigText } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

/** Runs `sql` as the superuser directly on every shard primary. */
async function onEveryShard(sql: (shard: number) => string): Promise<void> {
  const t = topology()
  const su = t.users.superuser
  for (const [i, shard] of t.shards.entries()) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: shard.port,
      user: su.username,
      password: su.password,
      database: t.shardDatabase,
    })
    await client.connect()
    try {
      await client.query(sql(i))
    } finally {
      await client.end()
    }
  }
}

describe('multi-shard transactions', () => {
  let gw: TestGateway
  before(async () => {
    await onEveryShard(
      (i) => `drop table if exists ms_items;
        create table ms_items (id int primary key, shard int not null);
        insert into ms_items select g, ${i} from generate_series(${i * 10 + 1}, ${i * 10 + 3}) g;
        grant all on ms_items to public`,
    )
    gw = await startTestGateway({ shards: true, database: topology().shardDatabase })
  })
  after(() => gw.stop())

  async function allShardsClient() {
    const client = await pgClient(gw.url('scram', topology().shardDatabase))
    const session = gw.gateway.clientByProcessId((client as unknown as { processID: number }).processID)
    assert.ok(session)
    ;(session as ClientSession).routing.shard = 'all'
    return { client, session: session as ClientSession }
  }

  test('a read returns the rows of every shard with one summed row count', async () => {
    const { client } = await allShardsClient()
    await using _ = client
    const shardCount = topology().shards.length
    const r = await client.query('select id, shard from ms_items')
    assert.equal(r.rowCount, 3 * shardCount)
    assert.equal(r.command, 'SELECT')
    assert.deepEqual(
      r.rows.map((row) => row.id).sort((a, b) => a - b),
      Array.from({ length: shardCount }, (_, i) => [i * 10 + 1, i * 10 + 2, i * 10 + 3]).flat(),
    )
    assert.deepEqual(
      r.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['id', 23],
        ['shard', 23],
      ],
    )
  })

  test('a transaction over every shard commits on each, and the next goes to one shard again', async () => {
    const { client, session } = await allShardsClient()
    await using _ = client
    await client.query('begin')
    const inserted = await client.query(
      'insert into ms_items values (100 + (select max(shard) from ms_items), 9)',
    )
    assert.equal(inserted.rowCount, topology().shards.length)
    await client.query('commit')
    session.routing.shard = 0
    const one = await client.query('select id from ms_items where shard = 9')
    assert.deepEqual(
      one.rows.map((row) => row.id),
      [100],
    )
  })

  test('an error on one shard reaches the client once, and the session goes on', async () => {
    const { client } = await allShardsClient()
    await using _ = client
    // Shard 1's rows divide by zero; shard 0's do not.
    await assert.rejects(
      client.query('select 1 / (shard - 1) from ms_items'),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, '22012')
        return true
      },
    )
    const r = await client.query('select count(*)::int as n from ms_items')
    assert.equal(r.rowCount, topology().shards.length, 'one count per shard: no aggregation across shards')
  })

  test('large results of several statements arrive whole from every shard', async () => {
    const { client } = await allShardsClient()
    await using _ = client
    const sql = `select g, repeat('x', 400) as pad from generate_series(1, 20000) g;
      select g from generate_series(1, 3) g`
    const results = (await client.query(sql)) as unknown as pg.QueryResult[]
    const shards = topology().shards.length
    assert.equal(results[0]!.rowCount, 20000 * shards)
    assert.equal(results[0]!.rows.filter((row) => row.g === 20000).length, shards)
    assert.equal(results[1]!.rowCount, 3 * shards)
  })

  test('the extended protocol to several shards is refused for that request only', async () => {
    const { client } = await allShardsClient()
    await using _ = client
    await assert.rejects(client.query('select $1::int as x', [1]), (err: Error & { code?: string }) => {
      assert.equal(err.code, '0A000')
      assert.match(err.message, /simple query protocol/)
      return true
    })
    assert.equal((await client.query('select 1 as one')).rowCount, topology().shards.length)
  })

  test('a refused request holds no shard: the next transaction may go to one shard', async () => {
    const { client, session } = await allShardsClient()
    await using _ = client
    await assert.rejects(client.query('select $1::int as x', [1]), /simple query protocol/)
    session.routing.shard = 1
    const r = await client.query('select distinct shard from ms_items where shard < 9')
    assert.deepEqual(
      r.rows.map((row) => row.shard),
      [1],
    )
  })

  test('a shard that cannot be reached fails the request, and the client goes on with one shard', async () => {
    const t = topology()
    const dead = await freePort()
    const text = testConfigText({ shards: true, database: t.shardDatabase, connectTimeout: 2000 }).replace(
      `["127.0.0.1", ${t.shards[1]!.port}, "primary"]`,
      `["127.0.0.1", ${dead}, "primary"]`,
    )
    const gateway = new Gateway(parseConfigText(text, 'dead-shard.toml').config)
    await gateway.start()
    try {
      const su = t.users.scram
      const client = await pgClient(
        `postgres://${su.username}:${encodeURIComponent(su.password)}@127.0.0.1:${gateway.port}/${t.shardDatabase}`,
      )
      await using _ = client
      const session = gateway.clientByProcessId(
        (client as unknown as { processID: number }).processID,
      ) as ClientSession
      session.routing.shard = 'all'
      await assert.rejects(client.query('select 1'), (err: Error & { code?: string }) => {
        assert.equal(err.code, '08001', 'the unreachable shard is named as a connection failure')
        return true
      })
      session.routing.shard = 0
      const r = await client.query('select distinct shard from ms_items where shard < 9')
      assert.deepEqual(
        r.rows.map((row) => row.shard),
        [0],
      )
    } finally {
      await gateway.stop()
    }
  })
})
