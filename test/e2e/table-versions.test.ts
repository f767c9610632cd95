/**
 * Issue 22, the gateway's side of the edge read cache: the Skiff-* cache headers of POST /sql, table
 * versions bumped by routed writes (HTTP and TCP) and, with table_versions = "logical", by writes made
 * straight on Postgres, read back with GET /versions.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const TABLE = 'tv_items'
/**
 * Only a superuser may create a FOR ALL TABLES publication; the gateway's user is not one. Dropped
 * after each suite: while it exists, Postgres refuses UPDATE and DELETE on tables without a replica
 * identity, which other tests on the shared topology make.
 */
const DROP_PUBLICATION = 'drop publication if exists skiff_table_versions'
const CREATE_PUBLICATION = `do $$ begin if not exists (select 1 from pg_publication where pubname = 'skiff_table_versions') then create publication skiff_table_versions for all tables; end if; end $$`

interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function post(gw: TestGateway, query: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
    method: 'POST',
    headers: { 'Neon-Connection-String': gw.url('scram'), Origin: 'https://app.example', ...headers },
    body: JSON.stringify({ query, params: [] }),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

async function versions(gw: TestGateway, tables: string, user: 'scram' | 'md5' = 'scram'): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/versions?tables=${encodeURIComponent(tables)}`, {
    headers: { 'Neon-Connection-String': gw.url(user) },
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

async function versionOf(gw: TestGateway, table: string): Promise<number> {
  const r = await versions(gw, table)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return (r.body.versions as Record<string, number>)[table]!
}

/** Polls until `table`'s version passes `than`; returns the ms it took (or fails after `limit` ms). */
async function waitForBump(gw: TestGateway, table: string, than: number, limit: number): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < limit) {
    if ((await versionOf(gw, table)) > than) return Date.now() - start
    await sleep(50)
  }
  assert.fail(`${table} stayed at version ${than} for ${limit} ms`)
}

before(async () => {
  await using su = await pgClient(directUrl())
  await su.query(`drop table if exists ${TABLE}; create table ${TABLE} (id int primary key, v text)`)
  await su.query(`grant all on ${TABLE} to public`)
  await su.query(`insert into ${TABLE} values (1, 'a')`)
})

describe('table versions: routed writes and the /sql cache headers', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      // No table_versions key: "routed" is the default.
      http: 'cors_allowed_origins = ["https://app.example"]',
    })
  })
  after(() => gw.stop())

  it('a read names its tables, is cacheable, and carries their versions, exposed to browsers', async () => {
    const r = await post(gw, `select * from ${TABLE} where id = 1`)
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('skiff-read-only'), 'true')
    assert.equal(r.headers.get('skiff-cacheable'), 'true')
    assert.equal(r.headers.get('skiff-tables'), `public.${TABLE}`)
    assert.equal(r.headers.get('skiff-writes'), '')
    assert.match(r.headers.get('skiff-table-versions') ?? '', new RegExp(`^public\\.${TABLE}=\\d+$`))
    const exposed = r.headers.get('access-control-expose-headers') ?? ''
    for (const h of ['Skiff-Read-Only', 'Skiff-Cacheable', 'Skiff-Tables', 'Skiff-Table-Versions'])
      assert.ok(exposed.includes(h), exposed)
  })

  it('select now() and a locking read are not cacheable', async () => {
    const now = await post(gw, 'select now()')
    assert.equal(now.headers.get('skiff-read-only'), 'true')
    assert.equal(now.headers.get('skiff-cacheable'), 'false')
    const locking = await post(gw, `select * from ${TABLE} for update`)
    assert.equal(locking.headers.get('skiff-read-only'), 'false')
    assert.equal(locking.headers.get('skiff-cacheable'), 'false')
  })

  it('a write over HTTP names what it wrote and bumps its version', async () => {
    const before = await versionOf(gw, `public.${TABLE}`)
    const r = await post(gw, `update ${TABLE} set v = 'b' where id = 1`)
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('skiff-read-only'), 'false')
    assert.equal(r.headers.get('skiff-cacheable'), 'false')
    assert.equal(r.headers.get('skiff-writes'), `public.${TABLE}`)
    assert.equal(r.headers.get('skiff-table-versions'), null)
    assert.ok((await versionOf(gw, `public.${TABLE}`)) > before)
    const read = await post(gw, `select v from ${TABLE}`)
    const stamped = Number((read.headers.get('skiff-table-versions') ?? '').split('=')[1])
    assert.equal(stamped, await versionOf(gw, `public.${TABLE}`))
  })

  it('a write over TCP (node-postgres) bumps the version at COMMIT, not before', async () => {
    await using client = await pgClient(gw.url('scram'))
    const first = await versionOf(gw, `public.${TABLE}`)
    await client.query(`insert into ${TABLE} values (2, 'c') on conflict (id) do update set v = 'c'`)
    const autocommit = await versionOf(gw, `public.${TABLE}`)
    assert.ok(autocommit > first, 'an autocommit write bumps at once')
    await client.query('begin')
    await client.query({ text: `update ${TABLE} set v = $1 where id = 2`, values: ['d'] })
    assert.equal(await versionOf(gw, `public.${TABLE}`), autocommit, 'not before COMMIT')
    await client.query('commit')
    assert.ok((await versionOf(gw, `public.${TABLE}`)) > autocommit, 'bumped at COMMIT')
  })

  it('inlined writes with new literals each bump their own table (targets kept by shape)', async () => {
    await using su = await pgClient(directUrl())
    const other = `${TABLE}_b`
    await su.query(`create table if not exists ${other} (id int primary key, n int)`)
    await su.query(`grant all on ${other} to public`)
    await using client = await pgClient(gw.url('scram'))
    const both = async () => [await versionOf(gw, `public.${TABLE}`), await versionOf(gw, `public.${other}`)]
    for (let i = 0; i < 3; i++) {
      const [a0, b0] = await both()
      await client.query(
        `insert into ${other} values (${i + 10}, ${i * 7}) on conflict (id) do update set n = ${i}`,
      )
      const [a1, b1] = await both()
      assert.equal(a1, a0, `round ${i}: the other table is not bumped`)
      assert.ok(b1! > b0!, `round ${i}: the written table is bumped`)
      await client.query(`update ${TABLE} set v = 'x${i}' where id = ${i + 1}`)
      const [a2, b2] = await both()
      assert.ok(a2! > a1!, `round ${i}: the updated table is bumped`)
      assert.equal(b2, b1, `round ${i}: the inserted-into table is not bumped again`)
    }
  })

  it('a named prepared statement bound again in a later transaction bumps too', async () => {
    await using client = await pgClient(gw.url('scram'))
    const write = { name: 'tv_named_write', text: `update ${TABLE} set v = $1 where id = 1`, values: ['n1'] }
    await client.query(write) // Parse, Bind, Execute
    const parsed = await versionOf(gw, `public.${TABLE}`)
    await client.query({ ...write, values: ['n2'] }) // Bind and Execute only
    assert.ok((await versionOf(gw, `public.${TABLE}`)) > parsed)
  })

  it('GET /versions: an unwritten table has the base version; a bad password is refused', async () => {
    const r = await versions(gw, 'never_written,public.other')
    assert.equal(r.status, 200)
    const v = r.body.versions as Record<string, number>
    assert.deepEqual(Object.keys(v), ['public.never_written', 'public.other'])
    assert.equal(v['public.never_written'], v['public.other'])
    assert.ok(typeof r.body.now === 'number')
    const bad = await fetch(`http://127.0.0.1:${gw.httpPort}/versions?tables=t`, {
      headers: { 'Neon-Connection-String': gw.url('scram').replace('skiff_scram_pw', 'wrong') },
    })
    assert.notEqual(bad.status, 200)
    assert.equal(((await bad.json()) as { code: string }).code, '28P01')
    const missing = await fetch(`http://127.0.0.1:${gw.httpPort}/versions`, {
      headers: { 'Neon-Connection-String': gw.url('scram') },
    })
    assert.equal(missing.status, 400)
  })

  it('a write whose tables are unknown (CALL, DO) bumps every table of the database', async () => {
    const before = await versionOf(gw, 'public.some_table')
    const r = await post(gw, 'do $$ begin perform 1; end $$')
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('skiff-writes'), null)
    assert.ok((await versionOf(gw, 'public.some_table')) > before)
  })
})

describe('table versions: logical replication (writes that bypass Skiff)', () => {
  let gw: TestGateway
  const slots = `select slot_name from pg_replication_slots where slot_name like 'skiff_tv_${process.pid}_%'`
  before(async () => {
    await using su = await pgClient(directUrl())
    await su.query('alter role skiff_scram replication')
    await su.query(CREATE_PUBLICATION)
    gw = await startTestGateway({ pool: 'table_versions = "logical"' })
  })
  after(async () => {
    await gw?.stop()
    await using su = await pgClient(directUrl())
    await su.query('alter role skiff_scram noreplication')
    await su.query(DROP_PUBLICATION)
  })

  it('a write made straight on Postgres bumps the version within a second', async () => {
    await using su = await pgClient(directUrl())
    // The stream is up once its temporary slot is active.
    const up = Date.now()
    while ((await su.query(`${slots} and active`)).rowCount === 0) {
      assert.ok(Date.now() - up < 10_000, 'the slot did not become active')
      await sleep(50)
    }
    const table = `public.${TABLE}`
    const before = await versionOf(gw, table)
    await su.query(`update ${TABLE} set v = 'direct' where id = 1`)
    const took = await waitForBump(gw, table, before, 1000)
    assert.ok(took <= 1000)
    const other = await versionOf(gw, 'public.untouched_table')
    assert.ok(other < (await versionOf(gw, table)), 'only the written table moved')
    const truncated = await versionOf(gw, table)
    await su.query(`truncate ${TABLE}`)
    await waitForBump(gw, table, truncated, 1000)
  })

  it('SHOW TABLE_VERSIONS, SHOW TABLE_VERSION_STREAMS and /metrics show the stream and its commits', async () => {
    const admin = await pgClient(`postgres://skiff_admin:skiff_admin_pw@127.0.0.1:${gw.port}/pgcat`)
    try {
      const db = topology().database
      const summary = await admin.query('SHOW TABLE_VERSIONS')
      assert.deepEqual(
        summary.fields.map((f) => f.name),
        ['database', 'mode', 'tables', 'streams', 'streaming'],
      )
      const row = summary.rows.find((r) => r.database === db)
      assert.deepEqual([row?.mode, row?.streams, row?.streaming], ['logical', '1', '1'])
      const streams = async () => (await admin.query('SHOW TABLE_VERSION_STREAMS')).rows
      const [first] = await streams()
      assert.equal(first.state, 'streaming')
      assert.match(first.slot, /^skiff_tv_\d+_\d+$/)
      assert.equal(first.last_error, null)
      await using su = await pgClient(directUrl())
      await su.query(`insert into ${TABLE} values (77, 'm') on conflict (id) do update set v = 'm'`)
      const start = Date.now()
      while (Number((await streams())[0].commits) <= Number(first.commits)) {
        assert.ok(Date.now() - start < 2000, 'the commit was not counted')
        await sleep(50)
      }
      const text = await gw.gateway.metrics.text()
      assert.match(text, new RegExp(`skiff_table_version_stream_up\\{database="${db}",server="[^"]+"\\} 1`))
      assert.match(text, /skiff_table_version_commits_total\{[^}]+\} [1-9]/)
    } finally {
      await admin.end()
    }
  })

  it('the temporary slot is gone once the gateway stops', async () => {
    await using su = await pgClient(directUrl())
    assert.equal((await su.query(slots)).rowCount, 1)
    await gw.stop()
    const stop = Date.now()
    while ((await su.query(slots)).rowCount !== 0) {
      assert.ok(Date.now() - stop < 5000, 'the slot outlived the gateway')
      await sleep(50)
    }
  })
})

describe('table versions: logical replication on every shard', () => {
  let gw: TestGateway
  const urls = () => {
    const t = topology()
    const su = t.users.superuser
    return t.shards.map(
      (s) =>
        `postgres://${su.username}:${encodeURIComponent(su.password)}@127.0.0.1:${s.port}/${t.shardDatabase}`,
    )
  }
  before(async () => {
    for (const url of urls()) {
      await using su = await pgClient(url)
      await su.query('alter role skiff_scram replication')
      await su.query(`drop table if exists tv_sharded; create table tv_sharded (id int primary key)`)
      await su.query(CREATE_PUBLICATION)
    }
    gw = await startTestGateway({ shards: true, pool: 'table_versions = "logical"' })
  })
  after(async () => {
    await gw?.stop()
    for (const url of urls()) {
      await using su = await pgClient(url)
      await su.query('alter role skiff_scram noreplication')
      await su.query(DROP_PUBLICATION)
    }
  })

  it('a direct write on the last shard bumps the version (one slot per shard primary)', async () => {
    const last = urls().at(-1)!
    await using su = await pgClient(last)
    const up = Date.now()
    const active = `select 1 from pg_replication_slots where slot_name like 'skiff_tv_${process.pid}_%' and active`
    while ((await su.query(active)).rowCount === 0) {
      assert.ok(Date.now() - up < 10_000, 'the last shard has no active slot')
      await sleep(50)
    }
    const before = await versionOf(gw, 'public.tv_sharded')
    await su.query('insert into tv_sharded values (1)')
    await waitForBump(gw, 'public.tv_sharded', before, 1000)
  })
})

describe('table versions: off, and API tokens', () => {
  const TOKEN = 'tok_tv_0123456789abcdefghijklmnopqrstuv'
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      pool: 'table_versions = "off"',
      http: `[[http.api_tokens]]\ntoken = "${TOKEN}"\nusername = "skiff_scram"`,
    })
  })
  after(() => gw.stop())

  it('off: /sql still classifies but sends no versions, and GET /versions answers 0A000 after the login', async () => {
    const r = await post(gw, `select * from ${TABLE}`)
    assert.equal(r.headers.get('skiff-cacheable'), 'true')
    assert.equal(r.headers.get('skiff-table-versions'), null)
    const url = gw.url('scram').replace(/:[^:@/]*@/, '@') // no password: the token stands in
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/versions?tables=t`, {
      headers: { 'Neon-Connection-String': url, Authorization: `Bearer ${TOKEN}` },
    })
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as { code: string }).code, '0A000')
  })

  it('answers a CORS preflight for GET /versions', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/versions`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'neon-connection-string',
      },
    })
    assert.equal(res.status, 204)
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /GET/)
  })
})

describe('table versions: a stream that cannot start', () => {
  it('is shown retrying in SHOW TABLE_VERSION_STREAMS, with the reason, and down in /metrics', async () => {
    // skiff_scram has no REPLICATION attribute outside the logical suites: the stream is refused.
    const gw = await startTestGateway({ pool: 'table_versions = "logical"' })
    const admin = await pgClient(`postgres://skiff_admin:skiff_admin_pw@127.0.0.1:${gw.port}/pgcat`)
    try {
      const start = Date.now()
      let row: Record<string, string | null> | undefined
      while (row?.state !== 'retrying') {
        assert.ok(Date.now() - start < 5000, `the stream is ${row?.state}, not retrying`)
        await sleep(50)
        row = (await admin.query('SHOW TABLE_VERSION_STREAMS')).rows[0]
      }
      assert.match(row.last_error ?? '', /replication|permission|pg_hba/i)
      const summary = (await admin.query('SHOW TABLE_VERSIONS')).rows[0]
      assert.deepEqual([summary.mode, summary.streams, summary.streaming], ['logical', '1', '0'])
      assert.match(await gw.gateway.metrics.text(), /skiff_table_version_stream_up\{[^}]+\} 0/)
    } finally {
      await admin.end()
      await gw.stop()
    }
  })
})
