/**
 * Issue 22, acceptance 1: the client SDK against a real gateway and real Postgres. Every call (tagged
 * template, query, batch, transaction with savepoints), value parsing as node-postgres does it, routing
 * (`.replica()` lands where `pg_is_in_recovery()` is true, `.shard(n)` on shard n's server), rollback of
 * a throwing transaction, and SkiffError codes for bad input.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import pg from 'pg'
import { isSkiffError, type SkiffClient, SkiffError } from '../../client-sdk/src/index.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { sdkClient } from '../helpers/sdk-client.js'
import { directUrl, topology } from '../helpers/topology.js'

const execFileAsync = promisify(execFile)

const SPLIT = `query_parser_enabled = true
query_parser_read_write_splitting = true
primary_reads_enabled = false`

async function direct(sql: string, database?: string): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client(directUrl(database))
  await c.connect()
  try {
    return (await c.query(sql)).rows
  } finally {
    await c.end()
  }
}

/** The error `p` rejects with (fails when it resolves). */
async function failure(p: Promise<unknown>): Promise<SkiffError> {
  try {
    await p
  } catch (err) {
    assert.ok(isSkiffError(err), `a SkiffError: ${err}`)
    return err
  }
  throw new Error('expected a rejection')
}

describe('client SDK: calls, values, transactions, routing (primary + replicas)', () => {
  let gw: TestGateway
  let db: SkiffClient
  before(async () => {
    await direct('drop table if exists sdk_items; create table sdk_items (id int primary key, name text)')
    await direct('grant all on sdk_items to public')
    gw = await startTestGateway({
      replicas: true,
      pool: SPLIT,
      poolSize: 6,
      http: `max_request_body_bytes = 4096
[[http.api_tokens]]
token = "sdk-test-token-0123456789abcdef"
username = "${topology().users.scram.username}"`,
    })
    db = sdkClient(gw)
  })
  after(() => gw?.stop())

  test('tagged template binds every value; query returns rows, fields, rowCount, command', async () => {
    const evil = "x'); drop table sdk_items; --"
    const rows = await db<{ v: string; n: number }>`select ${evil}::text as v, ${41}::int + 1 as n`
    assert.deepEqual(rows, [{ v: evil, n: 42 }])
    const ins = await db.primary().query('insert into sdk_items values ($1, $2), ($3, $4)', [1, 'a', 2, 'b'])
    assert.equal(ins.command, 'INSERT')
    assert.equal(ins.rowCount, 2)
    const res = await db
      .primary()
      .query<{ id: number; name: string }>('select id, name from sdk_items order by id')
    assert.deepEqual(res.rows, [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ])
    assert.deepEqual(
      res.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['id', 23],
        ['name', 25],
      ],
    )
    const arr = await db.query('select 1 as a, 2 as b', [], { arrayMode: true })
    assert.deepEqual(arr.rows, [[1, 2]])
  })

  test('values parse as node-postgres parses them; bigint and per-type overrides', async () => {
    const sql = `select 9007199254740993::int8 as i8, 12.50::numeric as num, true as b, 1.5::float8 as f,
      '{"a":[1,2]}'::jsonb as j, '\\x0102ff'::bytea as by, '{1,2,NULL}'::int4[] as arr,
      '{"a b","c\\"d",NULL}'::text[] as texts, '2024-01-02 03:04:05.123+00'::timestamptz as ts,
      null::int as nothing, 'abc'::text as t`
    const [row] = (await db.query(sql)).rows
    assert.equal(row!.i8, '9007199254740993')
    assert.equal(row!.num, '12.50')
    assert.equal(row!.b, true)
    assert.equal(row!.f, 1.5)
    assert.deepEqual(row!.j, { a: [1, 2] })
    assert.deepEqual([...(row!.by as Uint8Array)], [1, 2, 255])
    assert.deepEqual(row!.arr, [1, 2, null])
    assert.deepEqual(row!.texts, ['a b', 'c"d', null])
    assert.equal((row!.ts as Date).toISOString(), '2024-01-02T03:04:05.123Z')
    assert.equal(row!.nothing, null)
    assert.equal(row!.t, 'abc')
    const pool = new pg.Pool({ connectionString: gw.url(), max: 1 })
    const pgRow = (await pool.query(sql)).rows[0]
    await pool.end()
    for (const k of ['i8', 'num', 'b', 'f', 'j', 'arr', 'texts', 'nothing', 't'])
      assert.deepEqual(row![k], pgRow[k], `${k} as node-postgres`)
    const big = sdkClient(gw, { bigint: true, types: { 1184: (s) => `ts:${s}` } })
    const [b] = await big`select 9007199254740993::int8 as i8, '{1,2}'::int8[] as a, now() as ts`
    assert.equal(b!.i8, 9007199254740993n)
    assert.deepEqual(b!.a, [1n, 2n])
    assert.match(String(b!.ts), /^ts:\d{4}-/)
    const [p] =
      await db`select ${new Date('2024-05-06T07:08:09.010Z')}::timestamptz as d, ${new Uint8Array([7, 8])} as by, ${[1, null, 3]}::int[] as a, ${{ k: 'v' }}::jsonb as o`
    assert.equal((p!.d as Date).toISOString(), '2024-05-06T07:08:09.010Z')
    assert.deepEqual([...(p!.by as Uint8Array)], [7, 8])
    assert.deepEqual(p!.a, [1, null, 3])
    assert.deepEqual(p!.o, { k: 'v' })
  })

  test('batch: one transaction in one round trip, isolation level and read only; an error rolls back all', async () => {
    const [a, b, c] = await db.batch([
      db.sql`insert into sdk_items values (${10}, ${'ten'})`,
      { text: 'select name from sdk_items where id = $1', params: [10] },
      db.sql`select current_setting('transaction_isolation') as iso`,
    ])
    assert.equal(a!.rowCount, 1)
    assert.deepEqual(b!.rows, [{ name: 'ten' }])
    assert.deepEqual(c!.rows, [{ iso: 'read committed' }])
    const [iso] = await db.batch([db.sql`select current_setting('transaction_isolation') as iso`], {
      isolationLevel: 'Serializable',
      readOnly: true,
    })
    assert.deepEqual(iso!.rows, [{ iso: 'serializable' }])
    const ro = await failure(db.batch([db.sql`insert into sdk_items values (11, 'x')`], { readOnly: true }))
    assert.equal(ro.code, '25006')
    const bad = await failure(
      db.batch([db.sql`insert into sdk_items values (12, 'twelve')`, db.sql`select * from sdk_missing`]),
    )
    assert.equal(bad.code, '42P01')
    assert.deepEqual(
      await direct('select id from sdk_items where id in (11, 12)'),
      [],
      'nothing of either batch',
    )
  })

  test('transaction(): commits; a throw rolls back all of it; nested savepoints', async () => {
    const out = await db.transaction(async (tx) => {
      await tx`insert into sdk_items values (${20}, ${'twenty'})`
      const r = await tx.query<{ n: number }>('select count(*)::int as n from sdk_items where id = $1', [20])
      return r.rows[0]!.n
    })
    assert.equal(out, 1, 'the transaction sees its own write')
    assert.equal((await direct('select 1 from sdk_items where id = 20')).length, 1)

    const boom = new Error('boom')
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx`insert into sdk_items values (${21}, 'a')`
        await tx.transaction(async (inner) => inner`insert into sdk_items values (${22}, 'b')`)
        await tx`update sdk_items set name = 'changed' where id = 20`
        throw boom
      }),
      (err) => err === boom,
    )
    assert.deepEqual(await direct('select id, name from sdk_items where id between 20 and 22 order by id'), [
      { id: 20, name: 'twenty' },
    ])

    await db.transaction(async (tx) => {
      await tx`insert into sdk_items values (${30}, 'outer')`
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner`insert into sdk_items values (${31}, 'inner, rolled back')`
          await inner`select * from sdk_missing`
        }),
        (err) => isSkiffError(err) && err.code === '42P01',
      )
      await tx.transaction(async (inner) => {
        await inner`insert into sdk_items values (${32}, 'inner, kept')`
        await inner.transaction((deeper) => deeper`insert into sdk_items values (${33}, 'deeper')`)
      })
    })
    assert.deepEqual(
      (await direct('select id from sdk_items where id between 30 and 33 order by id')).map((r) => r.id),
      [30, 32, 33],
    )
  })

  test('onCommit is called after a transaction that commits, on derived clients too; not after a rollback or a read-only one', async () => {
    let commits = 0
    const counted = sdkClient(gw, { onCommit: () => commits++ })
    await counted.transaction((tx) => tx`insert into sdk_items values (${40}, 'commit')`)
    assert.equal(commits, 1)
    await counted.primary().transaction((tx) => tx`update sdk_items set name = 'again' where id = 40`)
    assert.equal(commits, 2, 'a derived client keeps the hook')
    await assert.rejects(
      counted.transaction(async (tx) => {
        await tx`insert into sdk_items values (${41}, 'rolled back')`
        throw new Error('boom')
      }),
    )
    await counted.transaction((tx) => tx`select 1`, { readOnly: true })
    assert.equal(commits, 2, 'neither a rollback nor a read-only transaction calls it')
  })

  test('routing: .replica() reads where pg_is_in_recovery() is true, .primary() where it is false, per call and in transactions', async () => {
    const recovery = async (c: SkiffClient) =>
      (await c<{ r: boolean }>`select pg_is_in_recovery() as r`)[0]!.r
    const plain = sdkClient(gw, { readYourWrites: false })
    assert.equal(await recovery(plain.replica()), true)
    assert.equal(await recovery(plain.primary()), false)
    assert.equal(await recovery(plain.replica().primary()), false, 'the later choice wins')
    const r = await plain.query('select pg_is_in_recovery() as r', [], { role: 'primary' })
    assert.equal(r.rows[0]!.r, false)
    const inTx = await plain
      .replica()
      .transaction(async (tx) => (await tx`select pg_is_in_recovery() as r`)[0]!.r, { readOnly: true })
    assert.equal(inTx, true)
    const onPrimary = await plain
      .primary()
      .transaction(async (tx) => (await tx`select pg_is_in_recovery() as r`)[0]!.r)
    assert.equal(onPrimary, false)
  })

  test('transaction() logs in as every kind of user: scram, md5, plain, trust; API tokens; application_name on both fronts', async () => {
    const users = topology().users
    for (const kind of ['scram', 'md5', 'plain', 'trust'] as const) {
      const u = users[kind]
      const c = sdkClient(gw, { user: u.username, password: u.password || undefined, readYourWrites: false })
      const who = await c.primary().transaction(async (tx) => (await tx`select current_user as u`)[0]!.u)
      assert.equal(who, u.username, kind)
    }
    const byToken = sdkClient(gw, { password: undefined, token: 'sdk-test-token-0123456789abcdef' })
    assert.deepEqual(await byToken`select current_user as u`, [{ u: users.scram.username }])
    const badToken = await failure(sdkClient(gw, { password: undefined, token: 'nope' })`select 1`)
    assert.equal(badToken.code, '28000')
    const named = sdkClient(gw, { applicationName: 'sdk-e2e' }).primary()
    assert.deepEqual(await named`select current_setting('application_name') as a`, [{ a: 'sdk-e2e' }])
    const inTx = await named.transaction(async (tx) => tx`select current_setting('application_name') as a`)
    assert.deepEqual(inTx, [{ a: 'sdk-e2e' }])
    const badMd5 = await failure(
      sdkClient(gw, { user: users.md5.username, password: 'wrong' }).transaction(async () => 1),
    )
    assert.equal(badMd5.code, '28P01')
  })

  test('the standard WebSocket (Node 20 --experimental-websocket, as in Workers and browsers) runs transactions', async () => {
    const u = topology().users.scram
    const config = { url: `http://127.0.0.1:${gw.httpPort}`, user: u.username, password: u.password }
    const env = {
      ...process.env,
      SKIFF_SDK_CONFIG: JSON.stringify({ ...config, database: topology().database }),
    }
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--experimental-websocket',
        '--no-warnings',
        '--import',
        'tsx',
        'test/helpers/sdk-standard-websocket.ts',
      ],
      { env },
    )
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()!), { inTx: 42, overHttp: 7 })
  })

  test('errors: SQL error, unknown database, unreachable gateway, oversized body, each with its code', async () => {
    const missing = await failure(db`select * from sdk_missing`)
    assert.equal(missing.code, '42P01')
    assert.equal(missing.severity, 'ERROR')
    assert.equal(missing.position, '15')
    assert.ok(missing instanceof SkiffError)
    const dup = await failure(db.primary()`insert into sdk_items values (1, 'again')`)
    assert.equal(dup.code, '23505')
    assert.equal(dup.constraint, 'sdk_items_pkey')
    const noDb = await failure(sdkClient(gw, { database: 'sdk_no_such_db' })`select 1`)
    assert.equal(noDb.code, '3D000')
    const noDbTx = await failure(sdkClient(gw, { database: 'sdk_no_such_db' }).transaction(async () => 1))
    assert.equal(noDbTx.code, '3D000')
    const wrongPw = await failure(sdkClient(gw, { password: 'wrong' }).transaction(async () => 1))
    assert.equal(wrongPw.code, '28P01')
    const port = await closedPort()
    const down = sdkClient(gw, { url: `http://127.0.0.1:${port}` })
    const unreachable = await failure(down`select 1`)
    assert.equal(unreachable.code, 'SKIFF_UNREACHABLE')
    assert.equal((await failure(down.transaction(async () => 1))).code, 'SKIFF_UNREACHABLE')
    const big = await failure(db`select ${'x'.repeat(5000)} as v`)
    assert.equal(big.code, 'SKIFF_BODY_TOO_LARGE')
    assert.equal(big.status, 413)
    assert.equal(big.sqlstate, '54000')
    // Unrelated errors are not SkiffErrors, even with a code.
    const refused = await new pg.Client({ host: '127.0.0.1', port, user: 'x' })
      .connect()
      .catch((e: unknown) => e)
    assert.equal((refused as { code?: string }).code, 'ECONNREFUSED')
    assert.equal(isSkiffError(refused), false)
    assert.equal(isSkiffError({ code: '42P01', message: 'look-alike' }), false)
  })
})

describe('client SDK: sharding (three shard primaries)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ shards: true, database: topology().shardDatabase })
  })
  after(() => gw?.stop())

  test('.shard(n) and .shardingKey(k) run on that shard’s server, over HTTP and in transactions', async () => {
    const t = topology()
    const db = sdkClient(gw, { database: t.shardDatabase })
    const port = async (c: SkiffClient) =>
      Number((await c<{ p: number }>`select inet_server_port() as p`)[0]!.p)
    for (let i = 0; i < t.shards.length; i++) {
      assert.equal(await port(db.shard(i)), t.shards[i]!.port, `shard ${i} over HTTP`)
      const inTx = await db
        .shard(i)
        .transaction(async (tx) => (await tx`select inet_server_port() as p`)[0]!.p)
      assert.equal(inTx, t.shards[i]!.port, `shard ${i} in a transaction`)
    }
    const tcp = new pg.Client(gw.url('scram', t.shardDatabase))
    await tcp.connect()
    try {
      for (const key of [1, 42, 4242, 77]) {
        await tcp.query(`set sharding key to '${key}'`)
        const shard = Number((await tcp.query('show shard')).rows[0].shard)
        assert.equal(await port(db.shardingKey(key)), t.shards[shard]!.port, `key ${key} on shard ${shard}`)
        const inTx = await db.transaction(async (tx) => (await tx`select inet_server_port() as p`)[0]!.p, {
          shardingKey: key,
        })
        assert.equal(inTx, t.shards[shard]!.port, `key ${key} in a transaction`)
      }
    } finally {
      await tcp.end()
    }
    const bad = await failure(db.shard(99)`select 1`)
    assert.equal(bad.code, '22023')
  })
})

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}
