import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sqlTables, statementTables } from './tables.js'

/** Asserts the tables of each [text, tables] case. */
function expectTables(cases: Array<[string, string[]]>): void {
  for (const [text, tables] of cases) assert.deepEqual(sqlTables(text), tables, text)
}

describe('statementTables: queries', () => {
  it("finds pgbench's tables", () => {
    expectTables([
      ['SELECT abalance FROM pgbench_accounts WHERE aid = 123;', ['pgbench_accounts']],
      ['UPDATE pgbench_accounts SET abalance = abalance + -5 WHERE aid = 1', ['pgbench_accounts']],
      [
        'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, now())',
        ['pgbench_history'],
      ],
    ])
  })

  it('reads FROM lists, joins, subqueries and parenthesized joins, but not functions', () => {
    expectTables([
      [
        'select * from t1, t2 as x, only t3, lateral (select * from t4) s, generate_series(1, 3) g, t5',
        ['t1', 't2', 't3', 't4', 't5'],
      ],
      ['select * from (t1 join t2 on true) left join "Sch"."T" using (id)', ['t1', 't2', 'Sch.T']],
      ['select * from t1 natural join t2 cross join t3, t4', ['t1', 't2', 't3', 't4']],
      ['select * from rows from (generate_series(1, 2)) x, t', ['t']],
      [
        'select * from t where exists (select 1 from u where u.a = t.a) and b = any(select c from v)',
        ['t', 'u', 'v'],
      ],
      ['select count(*) from t group by a, b order by c, d', ['t']],
    ])
  })

  it('ignores FROM that is not a FROM clause, and names inside literals', () => {
    expectTables([
      ['select extract(year from ts), substring(s from 2), a is distinct from b from t', ['t']],
      ["select * from t where x = 'from u' and y = $$join v$$", ['t']],
      ['select 1', []],
    ])
  })

  it('leaves out the names a WITH list defines', () => {
    expectTables([
      ['with a as (select * from t), b as (select * from a) select * from b join c on true', ['t', 'c']],
      ['with recursive r(n) as (select 1 union all select n + 1 from r) select * from r', []],
      ['with x as (insert into t values (1) returning *) select * from x', ['t']],
      ['select * from (with y as (select * from u) select * from y) s', ['u']],
    ])
  })

  it('keeps names as written: unquoted lower-cased, quoted exact, qualified, each once', () => {
    expectTables([
      ['SELECT * FROM MyTable, "MyTable", Public.MyTable, mytable', ['mytable', 'MyTable', 'public.mytable']],
      ['select * from U&"d\\0061t", "a""b", "Sch".t', ['dat', 'a"b', 'Sch.t']],
    ])
  })
})

describe('statementTables: writes and DDL', () => {
  it('reads INSERT, UPDATE, DELETE and MERGE targets and sources', () => {
    expectTables([
      ['insert into s.t (a) select * from u on conflict (a) do update set a = excluded.a', ['s.t', 'u']],
      ['update only t set a = 1 from u, v where t.id = u.id', ['t', 'u', 'v']],
      ['delete from only t using u join w using (id), v where t.id = u.id', ['t', 'u', 'w', 'v']],
      [
        'merge into t using (select * from s) as x on t.id = x.id when matched then update set a = 1, b = 2',
        ['t', 's'],
      ],
      ['select * into temp new_t from t', ['new_t', 't']],
    ])
  })

  it('reads TABLE, TRUNCATE, LOCK, COPY, REFERENCES and their lists', () => {
    expectTables([
      ['table t', ['t']],
      ['truncate table only a, b restart identity', ['a', 'b']],
      ['lock table a, b in share mode', ['a', 'b']],
      ['drop table if exists a, b cascade', ['a', 'b']],
      ['create table if not exists t (id int references u(id), b int)', ['t', 'u']],
      ['create table t2 as select * from t', ['t2', 't']],
      ['alter table t add column x int, add column y int', ['t']],
      ['copy t (a, b) from stdin', ['t']],
      ['copy (select * from t) to stdout', ['t']],
      ['grant select on table t to u', ['t']],
      ['revoke select on table t from u', ['t']],
      ['create function f() returns table (a int) as $$ select * from inner_t $$ language sql', []],
    ])
  })

  it('reads the statement behind EXPLAIN, and every statement of a request', () => {
    expectTables([
      ['explain analyze update t set a = 1', ['t']],
      ['explain (analyze, verbose) delete from t', ['t']],
      ['select 1; select * from a; delete from b; select * from a', ['a', 'b']],
    ])
  })

  it('reads bytes in place, NUL terminator and all', () => {
    const buf = Buffer.from('xxselect * from t\0yy')
    assert.deepEqual(statementTables(buf, 2, 18), ['t'])
    assert.deepEqual(statementTables(buf, 2, 15), [])
  })
})
