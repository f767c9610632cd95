/**
 * The classifier against Postgres itself: statement counts against the server's own parser, and
 * read/write against a real hot standby, which refuses writes with 25006 (read-only transaction).
 * Needs the topology that `node test/run.mjs` starts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { pgClient } from '../../../test/helpers/clients.js'
import { directUrl, topology } from '../../../test/helpers/topology.js'
import { classifySql } from './classify.js'

const skip = process.env.SKIFF_TOPOLOGY_FILE ? false : 'needs the Postgres topology (node test/run.mjs sql/)'

function replicaUrl(): string {
  const t = topology()
  const su = t.users.superuser
  return `postgres://${su.username}:${encodeURIComponent(su.password)}@127.0.0.1:${t.replicas[0]!.port}/${t.database}`
}

/** Statements results Postgres returns for `text` (node-postgres gives an array for several). */
async function resultCount(client: pg.Client, text: string): Promise<number> {
  const res = (await client.query(text)) as unknown
  return Array.isArray(res) ? res.length : 1
}

/** 'ok' or the SQLSTATE of running `text` on `client`, inside a transaction block unless told not to. */
async function outcome(client: pg.Client, text: string, block: boolean): Promise<string> {
  try {
    if (block) await client.query('begin')
    await client.query(text)
    return 'ok'
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code'
  } finally {
    await client.query('rollback').catch(() => {})
  }
}

const SETUP = `
  create table sql17_t (id int primary key, a int);
  create sequence sql17_s;
  create procedure sql17_p() language sql as $$ select 1 $$;
  create materialized view sql17_mv as select 1 as x`
const TEARDOWN =
  'drop materialized view if exists sql17_mv; drop procedure if exists sql17_p; drop sequence if exists sql17_s; drop table if exists sql17_t'

/** Read-only texts that hide `;` every way the scanner allows, with Postgres's statement count. */
const COUNTS: Array<[string, number]> = [
  ["select ';'; select 2", 2],
  ["select E'\\';'; select 2", 2],
  ["select 'a'\n';'", 1],
  ["select E'a'\n'\\';' ; select 2", 2],
  // The continued part of an E'' literal is still in escape mode: without that, this splits twice more.
  ["select E'a'\n'\\'; select 2;' ; select 3", 2],
  ["select 'a' -- c\n  ';' ; select 2", 2],
  ["select 'a''b;'; select 2", 2],
  ['select $$;$$; select $a$ $$ ; $a$', 2],
  ['select $q$ $Q$; $q$; select 2', 2],
  ['select $a$x$ba$;$a$', 1],
  ['select 1 /* ; /* ; */ ; */ ; select 2', 2],
  ['select 1 -- ;\n; select 2', 2],
  ['select "a;b" from (select 1 as "a;b") s; select 2', 2],
  ["select U&'d\\0061t;'; select 2", 2],
  ["select B'01', X'1F'; select 2", 2],
  ["select N'a;b'; select 2", 2],
  [';;select 1;;', 1],
  ['select a$$b from (select 1 as a$$b) s; select 2', 2],
  ['select 1 as x$; select 2', 2],
  ['select 1 as """"; select 2', 2],
]

/** Statements to run on the standby; `false`: not inside a transaction block. */
const STATEMENTS: Array<[string, boolean?]> = [
  ...['select * from sql17_t', 'select * from sql17_t where id in (select id from sql17_t)', 'values (1)'],
  ...['table sql17_t', '(select 1) union (select 2)', 'with a as (select 1) select * from a'],
  ...[
    'explain select * from sql17_t',
    'explain insert into sql17_t values (1, 1)',
    'explain analyze select 1',
  ],
  ...['explain (analyze false) update sql17_t set a = 1', 'show search_path', 'select pg_advisory_unlock(1)'],
  ...['select * from sql17_t for update', 'select 1 from sql17_t for no key update', 'select 1 for share'],
  ...[
    'select * from sql17_t for key share',
    'select * into sql17_y from sql17_t',
    "select nextval('sql17_s')",
  ],
  ...['with a as (delete from sql17_t returning *) select * from a', "select setval('sql17_s', 5)"],
  ...['with a as (select 1) insert into sql17_t select 1, 1 from a', 'select txid_current()'],
  ...["select pg_notify('c', 'x')", 'select pg_advisory_lock(1)', 'select pg_advisory_xact_lock(1)'],
  ...['explain analyze insert into sql17_t values (1, 1)', 'explain (analyze) delete from sql17_t'],
  ...['insert into sql17_t values (1, 1)', 'update sql17_t set a = 1', 'delete from sql17_t'],
  ...['merge into sql17_t using (select 1 as id) s on sql17_t.id = s.id when matched then delete'],
  ...['truncate sql17_t', 'create table sql17_x (a int)', 'create temp table sql17_tmp (a int)'],
  ...['alter table sql17_t add column b int', 'drop table sql17_t', 'grant select on sql17_t to public'],
  ...['revoke select on sql17_t from public', "comment on table sql17_t is 'x'", 'lock sql17_t'],
  ...['lock sql17_t in access share mode', 'analyze sql17_t', 'cluster sql17_t using sql17_t_pkey'],
  ...['reindex table sql17_t', 'refresh materialized view sql17_mv', 'notify c', 'listen c', 'unlisten *'],
  ...['call sql17_p()', 'do $$ begin end $$', 'discard temp', 'prepare sql17_q as select 1'],
  ...['declare c cursor for select 1', 'set search_path = public', 'set transaction read only', 'reset all'],
  ...["security label on table sql17_t is 'x'", 'reassign owned by nobody to postgres', 'savepoint a'],
  ...['copy sql17_t from stdin'],
].map((s) => [s])
STATEMENTS.push(
  ['vacuum sql17_t', false],
  ['checkpoint', false],
  ['discard all', false],
  ['begin read only', false],
)

/** Seeded PRNG (mulberry32): the same texts on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Random read-only requests whose select items hide the scanner's delimiters in every quoting form. */
function randomRequests(n: number): string[] {
  const r = prng(5)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const chars = [...';;\'"$\\-/*a \né\r', "''", '$q$', '$$', '--', '/*', '*/']
  const payload = () => Array.from({ length: Math.floor(r() * 10) }, () => pick(chars)).join('')
  const tag = (p: string) => {
    for (let i = 0; ; i++) if (!`${p}$t${i}$`.slice(0, -1).includes(`$t${i}$`)) return `$t${i}$`
  }
  const q = (p: string) => p.replaceAll("'", "''")
  const bs = (p: string) => p.replaceAll('\\', '\\\\')
  const items: ReadonlyArray<(p: string) => string> = [
    (p) => `'${q(p)}'`,
    (p) => `E'${bs(p).replaceAll("'", "\\'")}'`,
    (p) => `U&'${q(bs(p))}' || N'${q(p)}'`,
    (p) => `${tag(p)}${p}${tag(p)}`,
    (p) => `1 as "${p.replaceAll('"', '""')}x"`,
    (p) => `1 /* ${p.replaceAll('/*', '/ *').replaceAll('*/', '* /')} /* x */ */`,
    (p) => `1 -- ${p.replaceAll('\n', ' ').replaceAll('\r', ' ')}\n`,
    (p) => `'${q(p)}'${pick(['\n', ' --c\n ', '\r\n\t'])}'${q(p)}'`,
    (p) => `E'${q(bs(p))}'\n'${bs(p).replaceAll("'", "\\'")}'`,
  ]
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + Math.floor(r() * 4) }, () => `select ${pick(items)(payload())}`).join(
      pick([';', ';\n', ';;']),
    ),
  )
}

describe('classifier against Postgres', { skip }, () => {
  let primary: pg.Client & AsyncDisposable
  let replica: pg.Client & AsyncDisposable

  before(async () => {
    primary = await pgClient(directUrl())
    replica = await pgClient(replicaUrl())
    await primary.query(TEARDOWN)
    await primary.query(SETUP)
    for (let i = 0; i < 200; i++) {
      const r = await replica.query(`select to_regclass('sql17_mv') is not null as ok`)
      if (r.rows[0].ok) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('the replica did not replay the setup within 10 s')
  })

  after(async () => {
    await primary?.query(TEARDOWN)
    await replica?.[Symbol.asyncDispose]()
    await primary?.[Symbol.asyncDispose]()
  })

  it('counts statements as the server does', async () => {
    for (const [text, count] of COUNTS) {
      assert.equal(await resultCount(replica, text), count, `Postgres: ${text}`)
      assert.equal(classifySql(text).statementCount, count, text)
    }
  })

  it('counts random requests as the server does', async () => {
    for (const text of randomRequests(400)) {
      assert.equal(classifySql(text).statementCount, await resultCount(replica, text), JSON.stringify(text))
    }
  })

  it('keeps routine bodies and parenthesized rule actions whole, as the server does', async () => {
    const texts = [
      'create function pg_temp.sql17_f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select 3',
      'create temp table sql17_r (a int); create rule sql17_rr as on insert to sql17_r do also (select 1; select 2); select 3',
    ]
    for (const text of texts) {
      await primary.query('begin')
      const count = await resultCount(primary, text)
      await primary.query('rollback')
      assert.equal(classifySql(text).statementCount, count, text)
    }
  })

  it('reads backslashes as the server does with standard_conforming_strings off', async () => {
    const text = "select 'a\\'; select 2; select 3'"
    await replica.query('set standard_conforming_strings = off; set escape_string_warning = off')
    const count = await resultCount(replica, text).finally(() => replica.query('reset all'))
    assert.equal(count, 1)
    assert.equal(classifySql(text, false).statementCount, count)
    assert.notEqual(classifySql(text).statementCount, count) // the setting matters
  })

  it('flags what the server finds unterminated', async () => {
    for (const text of [
      "select 'abc",
      'select "abc',
      'select 1 /* a /* b */',
      'select $q$ abc',
      "select E'\\'",
    ]) {
      assert.equal(await outcome(replica, text, false), '42601', text)
      assert.equal(classifySql(text).unterminated, true, text)
    }
  })

  it('calls read only what a hot standby runs, and write everything it refuses as read-only', async () => {
    assert.equal((await replica.query('select pg_is_in_recovery() as r')).rows[0].r, true)
    let refused = 0
    for (const [text, block = true] of STATEMENTS) {
      const kind = classifySql(text).kind
      const result = await outcome(replica, text, block)
      if (kind === 'read' || kind === 'show')
        assert.equal(result, 'ok', `a ${kind} the standby refused: ${text}`)
      if (result === '25006') {
        refused++
        assert.equal(kind, 'write', `the standby refused as read-only: ${text}`)
      }
    }
    assert.ok(refused >= 30, `only ${refused} statements were refused: is the replica really a standby?`)
  })
})
