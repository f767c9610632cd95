/**
 * Issue 22: the cache headers of POST /sql follow views, user functions and search_path through the
 * relation catalog (gateway/src/pool/relation-catalog.ts), against real Postgres and a real Skiff.
 * A database of its own: its role settings (search_path) and revoked functions touch no other test.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { relationCatalog } from '../../gateway/src/pool/relation-catalog.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const DB = 'skiff_i22_catalog'
/** A database whose catalog query fails: to_regclass is revoked there (function rights are per database). */
const BROKEN_DB = 'skiff_i22_catalog_broken'

const SCHEMA = `
create table cat_t (id int primary key, v text);
insert into cat_t values (1, 'a'), (2, 'b');
create view cat_v as select id, v from cat_t;
create view cat_vv as select id, v from cat_v where id > 0;
create materialized view cat_mv as select id, v from cat_t;
create view cat_sb with (security_barrier) as select id, v from cat_t where id < 100;
create function cat_count() returns bigint language sql stable as 'select count(*) from cat_t';
create function cat_twice(int) returns int language sql immutable as 'select $1 * 2';
create view cat_uses_fn as select cat_count() as n;
create view cat_uses_now as select id, now() as at from cat_t;
create schema app;
create table app.t (id int primary key);
insert into app.t values (7);
grant usage on schema app to public;
grant select, insert, update, delete on all tables in schema public, app to public;
`

interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function post(
  gw: TestGateway,
  query: string,
  user: 'scram' | 'md5' = 'scram',
  db = DB,
): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
    method: 'POST',
    headers: { 'Neon-Connection-String': gw.url(user, db) },
    body: JSON.stringify({ query, params: [] }),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

const tablesOf = (r: Reply) => (r.headers.get('skiff-tables') ?? '').split(',').filter((t) => t !== '')

/** The versions header as a map. */
function versionsOf(r: Reply): Record<string, number> {
  const out: Record<string, number> = {}
  for (const pair of (r.headers.get('skiff-table-versions') ?? '').split(',')) {
    const [t, v] = pair.split('=')
    if (t) out[decodeURIComponent(t)] = Number(v)
  }
  return out
}

async function currentVersion(gw: TestGateway, table: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/versions?tables=${encodeURIComponent(table)}`, {
    headers: { 'Neon-Connection-String': gw.url('scram', DB) },
  })
  const body = (await res.json()) as { versions: Record<string, number> }
  return body.versions[table]!
}

async function makeDatabase(name: string, schema: string): Promise<void> {
  await using su = await pgClient(directUrl())
  await su.query(`drop database if exists ${name} with (force)`)
  await su.query(`create database ${name}`)
  await using db = await pgClient(directUrl(name))
  await db.query(schema)
}

before(async () => {
  const scram = topology().users.scram.username
  // The DDL test redefines cat_sb through Skiff, as the scram user.
  await makeDatabase(
    DB,
    `${SCHEMA}; alter view cat_sb owner to ${scram}; grant create on schema public to ${scram}`,
  )
  await makeDatabase(
    BROKEN_DB,
    `create table cat_t (id int); grant select on cat_t to public;
     revoke execute on function pg_catalog.to_regclass(text) from public`,
  )
  // The md5 user's default search_path in this database only.
  await using su = await pgClient(directUrl())
  await su.query(
    `alter role ${topology().users.md5.username} in database ${DB} set search_path = app, public`,
  )
})

after(async () => {
  await using su = await pgClient(directUrl())
  for (const db of [DB, BROKEN_DB]) await su.query(`drop database if exists ${db} with (force)`)
})

describe('cache headers through the relation catalog', () => {
  let gw: TestGateway
  let broken: TestGateway
  before(async () => {
    gw = await startTestGateway({ database: DB, pool: 'table_versions = "routed"' })
    broken = await startTestGateway({ database: BROKEN_DB, pool: 'table_versions = "routed"' })
  })
  after(async () => {
    await gw.stop()
    await broken.stop()
  })

  it('a view read is tagged with its base table; a write to the base moves the version it sees', async () => {
    const first = await post(gw, 'select * from cat_v order by id')
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.equal(first.headers.get('skiff-cacheable'), 'true')
    assert.deepEqual(tablesOf(first).sort(), ['public.cat_t', 'public.cat_v'])
    const seen = versionsOf(first)
    assert.ok(seen['public.cat_t']! > 0, JSON.stringify(seen))
    const write = await post(gw, `update cat_t set v = 'c' where id = 2`)
    assert.equal(write.status, 200)
    const again = await post(gw, 'select * from cat_v order by id')
    assert.ok(
      versionsOf(again)['public.cat_t']! > seen['public.cat_t']!,
      'the entry of the first read is stale',
    )
  })

  it('a view over a view names both; a materialized view and a security_barrier view their base', async () => {
    assert.deepEqual(tablesOf(await post(gw, 'select * from cat_vv')).sort(), [
      'public.cat_t',
      'public.cat_v',
      'public.cat_vv',
    ])
    const mv = await post(gw, 'select * from cat_mv')
    assert.equal(mv.headers.get('skiff-cacheable'), 'true')
    assert.deepEqual(tablesOf(mv).sort(), ['public.cat_mv', 'public.cat_t'])
    assert.deepEqual(tablesOf(await post(gw, 'select * from cat_sb')).sort(), [
      'public.cat_sb',
      'public.cat_t',
    ])
  })

  it('a user function that reads a table makes a read uncacheable; an immutable one does not', async () => {
    const counted = await post(gw, 'select cat_count()')
    assert.equal(counted.status, 200)
    assert.equal(counted.headers.get('skiff-read-only'), 'true')
    assert.equal(counted.headers.get('skiff-cacheable'), 'false')
    const twice = await post(gw, 'select cat_twice(id) from cat_t')
    assert.equal(twice.headers.get('skiff-cacheable'), 'true')
    assert.equal(
      (await post(gw, 'select * from cat_uses_fn')).headers.get('skiff-cacheable'),
      'false',
      'a view calling it',
    )
    assert.equal(
      (await post(gw, 'select * from cat_uses_now')).headers.get('skiff-cacheable'),
      'false',
      'a view calling now()',
    )
  })

  it('an unqualified name resolves under the pool user’s search_path', async () => {
    const r = await post(gw, 'select * from t', 'md5')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.deepEqual(tablesOf(r).sort(), ['app.t', 'public.t'], 'as written (for routed writes) and resolved')
    assert.equal(r.headers.get('skiff-cacheable'), 'true')
    assert.deepEqual(Object.keys(versionsOf(r)).sort(), ['app.t', 'public.t'])
  })

  it('a hot read costs no catalog query', async () => {
    const cold = relationCatalog.queries
    await post(gw, 'select * from public.cat_vv where id = 1') // a name not seen yet (qualified)
    assert.equal(relationCatalog.queries, cold + 1, 'one query for the new name')
    for (let i = 0; i < 5; i++) await post(gw, 'select * from public.cat_vv where id = 1')
    assert.equal(relationCatalog.queries, cold + 1, 'none after')
  })

  it('an UPDATE through an updatable view (routed, over TCP) bumps the base table', async () => {
    await post(gw, 'select 1 from cat_t limit 1') // an HTTP read of this database: writes are followed
    const before = await currentVersion(gw, 'public.cat_t')
    await using client = await pgClient(gw.url('scram', DB))
    await client.query(`update cat_v set v = 'd' where id = 1`)
    // Never looked up as written: the catalog answers a few ms after the write's own bump.
    const start = Date.now()
    while ((await currentVersion(gw, 'public.cat_t')) <= before) {
      assert.ok(Date.now() - start < 3000, 'public.cat_t was not bumped')
      await sleep(10)
    }
    const known = await currentVersion(gw, 'public.cat_t')
    await client.query(`update cat_v set v = 'e' where id = 1`)
    assert.ok((await currentVersion(gw, 'public.cat_t')) > known, 'now known: bumped with the write')
  })

  it('DDL through Skiff forgets the catalog: a redefined view is followed at once', async () => {
    await post(gw, 'select * from cat_sb')
    const redefine = await post(gw, 'create or replace view cat_sb as select id, id::text as v from app.t')
    assert.equal(redefine.status, 200, JSON.stringify(redefine.body))
    assert.deepEqual(tablesOf(await post(gw, 'select * from cat_sb')).sort(), ['app.t', 'public.cat_sb'])
  })

  it('a session-mode pool asks the catalog too', async () => {
    const session = await startTestGateway({ database: DB, poolMode: 'session', poolSize: 1 })
    try {
      const before = relationCatalog.queries
      const r = await post(session, 'select * from public.cat_mv')
      assert.equal(r.status, 200, JSON.stringify(r.body))
      assert.equal(relationCatalog.queries, before + 1)
      assert.deepEqual(tablesOf(r).sort(), ['public.cat_mv', 'public.cat_t'])
      assert.equal((await post(session, 'select 1 from cat_t')).status, 200, 'the connection came back')
    } finally {
      await session.stop()
    }
  })

  it('when the catalog cannot answer, the read is not cacheable', async () => {
    const r = await post(broken, 'select * from cat_t', 'scram', BROKEN_DB)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.headers.get('skiff-read-only'), 'true')
    assert.equal(r.headers.get('skiff-cacheable'), 'false')
    assert.deepEqual(tablesOf(r), ['public.cat_t'])
  })
})
