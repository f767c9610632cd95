import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { combineCacheFacts, sqlCacheFacts } from './cache-facts.js'
import { mayWriteTables } from './write-words.js'

type Case = [text: string, readOnly: boolean, cacheable: boolean, writes: string[] | undefined]

/** Every text whose facts name a write passes the session's first look (write-words.ts). */
const mayWrite = (text: string) => mayWriteTables(Buffer.from(text), 0, Buffer.byteLength(text))

function expectFacts(cases: Case[]): void {
  for (const [text, readOnly, cacheable, writes] of cases) {
    const f = sqlCacheFacts(text)
    if (f.writes === undefined || f.writes.length > 0) assert.ok(mayWrite(text), `first look missed ${text}`)
    assert.deepEqual(
      { readOnly: f.readOnly, cacheable: f.cacheable, writes: f.writes },
      { readOnly, cacheable, writes },
      text,
    )
  }
}

describe('cache facts: reads', () => {
  it('a plain read is cacheable and names its tables, qualified', () => {
    const f = sqlCacheFacts('select * from t join s.u on true, "Q"."MiXed" where x = $1')
    assert.equal(f.readOnly, true)
    assert.equal(f.cacheable, true)
    assert.deepEqual(f.tables, ['public.t', 's.u', 'Q.MiXed'])
    assert.deepEqual(f.writes, [])
    assert.deepEqual(sqlCacheFacts('select 1 from db.s.t').tables, ['s.t'])
  })

  it('volatile and time-dependent functions make a read uncacheable', () => {
    expectFacts([
      ['select now()', true, false, []],
      ['select * from t where ts > NOW ( )', true, false, []],
      ['select pg_catalog.now()', true, false, []],
      ['select current_date', true, false, []],
      ['select * from t where d = current_timestamp', true, false, []],
      ['select localtimestamp(3)', true, false, []],
      ['select random() from t', true, false, []],
      ['select gen_random_uuid()', true, false, []],
      ["select current_setting('timezone')", true, false, []],
      ['select current_user', true, false, []],
      ["select 'now'::timestamptz", true, false, []],
      ["select * from t where d > ' Today '::date", true, false, []],
      ['select clock_timestamp(), statement_timestamp()', true, false, []],
      ['select "random"()', true, false, []],
      ['select x from t where random_col = 1', true, true, []],
      ["select 'now is the time'", true, true, []],
      ['select lower(name), count(*) from t group by 1', true, true, []],
    ])
  })

  it('locking reads, transaction control, SET and SHOW are not read-only', () => {
    expectFacts([
      ['select * from t for update', false, false, []],
      ['select * from t for no key update', false, false, []],
      ['select * from t for share', false, false, []],
      ['begin; select * from t; commit', false, false, []],
      ['set search_path = s', false, false, []],
      ['show timezone', false, false, []],
      ["select nextval('s')", false, false, []],
    ])
  })
})

describe('cache facts: writes', () => {
  it('names the targets of each kind of write', () => {
    expectFacts([
      ['insert into t (a) values (1)', false, false, ['public.t']],
      ['INSERT INTO "S"."T" select * from u', false, false, ['S.T']],
      ['insert into t values (1) on conflict (id) do update set a = 2', false, false, ['public.t']],
      ['update only s.t set a = 1 where id = 2', false, false, ['s.t']],
      ['delete from t where id in (select id from u)', false, false, ['public.t']],
      ['merge into t using u on t.id = u.id when matched then update set a = 1', false, false, ['public.t']],
      ['truncate table only a, s.b restart identity', false, false, ['public.a', 's.b']],
      ['truncate a', false, false, ['public.a']],
      ['copy t (a, b) from stdin', false, false, ['public.t']],
      ['select * into newt from t', false, false, ['public.newt']],
      ['explain analyze insert into t values (1)', false, false, ['public.t']],
    ])
  })

  it('reads writes inside WITH queries and several statements', () => {
    expectFacts([
      [
        'with d as (delete from t returning *) insert into u select * from d',
        false,
        false,
        ['public.t', 'public.u'],
      ],
      ['with x as (select 1) update t set a = 1', false, false, ['public.t']],
      [
        'insert into a values (1); update b set x = 1; select * from c',
        false,
        false,
        ['public.a', 'public.b'],
      ],
    ])
  })

  it('DDL on a table writes it; other DDL and procedures leave the writes unknown', () => {
    expectFacts([
      ['create table t (id int, b text, c int references u (id))', false, false, ['public.t']],
      ['create temp table if not exists t (id int)', false, false, ['public.t']],
      ['alter table only s.t add column x int', false, false, ['s.t']],
      ['drop table if exists a, b cascade', false, false, ['public.a', 'public.b']],
      ['create unique index i on t (a)', false, false, undefined],
      ['create or replace view v as select * from t', false, false, undefined],
      ['call p()', false, false, undefined],
      ['do $$ begin insert into t values (1); end $$', false, false, undefined],
      ['grant select on t to bob', false, false, undefined],
      ['refresh materialized view mv', false, false, undefined],
    ])
  })

  it('COPY TO (a read) and FOR UPDATE write nothing; an ON DELETE clause is no DELETE', () => {
    expectFacts([
      ['copy t to stdout', true, true, []],
      ['copy (select * from t) to stdout', true, true, []],
      ['select * from t for update of t', false, false, []],
      [
        'create table t (id int references u on delete cascade on update cascade)',
        false,
        false,
        ['public.t'],
      ],
    ])
  })
})

describe('cache facts: names for the relation catalog', () => {
  it('relations come as written (a database part dropped), each once', () => {
    const f = sqlCacheFacts('select * from t join app.u on true, "Q"."MiXed", db.s.v, t as again')
    assert.deepEqual(f.relations, ['t', 'app.u', 'Q.MiXed', 's.v'])
    assert.deepEqual(f.tables, ['public.t', 'app.u', 'Q.MiXed', 's.v'])
  })

  it('functions are the words before ( that are not keywords or volatile, each once', () => {
    const f = sqlCacheFacts(
      'select my_fn(a), app.other ( b ), "Upper"(c), lower(d), my_fn(e), count(*) over (partition by x) ' +
        'from t where exists (select 1) and a in (1, 2) and coalesce(a, 1) = any (array[1]) and cast(a as int) > 0',
    )
    assert.deepEqual(f.functions, ['my_fn', 'other', 'Upper', 'lower', 'count'])
    assert.equal(f.cacheable, true, 'the text alone does not know user functions: the catalog does')
    assert.deepEqual(sqlCacheFacts('select now(), my_fn()').functions, ['my_fn'])
    assert.deepEqual(sqlCacheFacts("select 'f(x)' -- g(y)\n").functions, [], 'not in strings or comments')
  })
})

describe('combineCacheFacts', () => {
  it('a batch is cacheable only if every statement is; tables and writes are the unions', () => {
    const read = sqlCacheFacts('select * from a')
    const other = sqlCacheFacts('select * from b')
    const now = sqlCacheFacts('select now()')
    const write = sqlCacheFacts('insert into c values (1)')
    assert.deepEqual(combineCacheFacts([read, other, sqlCacheFacts('select f(1)')]), {
      readOnly: true,
      cacheable: true,
      tables: ['public.a', 'public.b'],
      writes: [],
      relations: ['a', 'b'],
      functions: ['f'],
    })
    assert.equal(combineCacheFacts([read, now]).cacheable, false)
    assert.equal(combineCacheFacts([read, now]).readOnly, true)
    assert.deepEqual(combineCacheFacts([read, write]).writes, ['public.c'])
    assert.equal(combineCacheFacts([read, sqlCacheFacts('call p()')]).writes, undefined)
  })
})

describe('mayWriteTables (the first look)', () => {
  it('lets reads through without classifying them, and catches the words of writes in any case', () => {
    assert.equal(mayWrite('SELECT abalance FROM pgbench_accounts WHERE aid = 123;'), false)
    assert.equal(mayWrite('select updated_at, inserted from t_update where dropped'), false)
    assert.equal(mayWrite('with d as (DELETE from t) select 1'), true)
    assert.equal(mayWrite('select * InTo t2 from t'), true)
    assert.equal(mayWrite("select 'update'"), true, 'a literal only costs a classification')
    assert.equal(mayWrite('DO $$ begin end $$'), true)
  })
})
