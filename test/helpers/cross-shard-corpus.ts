/**
 * The data and queries of the cross-shard differential test (test/e2e/cross-shard-plan.test.ts): a
 * table split unevenly across shards (one shard has no rows of group 'c'; NULLs in keys and values),
 * the same rows in one table on a single server, and the SELECTs whose merged result must equal that
 * server's. `ordered` marks the queries whose ORDER BY fixes the order of every row.
 * @module
 */

/** The table, on every shard and on the single server. */
export const TABLE_DDL = `drop table if exists xs_items;
create table xs_items(id bigint, grp text, grp2 int, val int, price numeric, score float8, flag bool, note text, d date, ts timestamptz);
grant select on xs_items to public`

/** One row as SQL literals. */
function row(i: number): string {
  const grp = [`'a'`, `'b'`, `'c'`, 'null'][i % 4]!
  const grp2 = i % 7 === 0 ? 'null' : String(i % 3)
  const val = i % 5 === 0 ? 'null' : String(((i * 37) % 23) - 5)
  const price = i % 6 === 0 ? 'null' : (i * 1.25 + 0.1).toFixed(i % 3)
  const score = i % 4 === 1 ? 'null' : String(i * 0.5 - 3)
  const flag = i % 9 === 0 ? 'null' : String(i % 2 === 0)
  const note = i % 8 === 0 ? 'null' : `'n${(i * 7) % 13}${i % 5 === 0 ? ' Z' : ''}'`
  const d = `date '2023-12-25' + ${(i * 5) % 17}`
  const ts = `timestamptz '2024-03-30 22:00:00+00' + interval '${i * 97} minutes'`
  return `(${i}, ${grp}, ${grp2}, ${val}, ${price}, ${score}, ${flag}, ${note}, ${d}, ${ts})`
}

/** Rows 1..N; group 'c' rows all go to shard 0, the rest: shard 0 takes ids up to 11. */
export const ROW_COUNT = 23
export function shardOf(i: number): number {
  return i % 4 === 2 || i <= 11 ? 0 : 1
}

/** INSERT of the given ids. */
export function insertRows(ids: number[]): string {
  return ids.length === 0 ? 'select 1' : `insert into xs_items values ${ids.map(row).join(', ')}`
}

/** A query of the corpus. */
export interface CorpusQuery {
  sql: string
  ordered?: boolean
}

const q = (sql: string, ordered = false): CorpusQuery => ({ sql, ordered })

/** SELECTs every shard can run and the combiner merges. */
export const MERGE_CORPUS: CorpusQuery[] = [
  q('select id, grp, val from xs_items'),
  q('select * from xs_items'),
  q('select id, val from xs_items where val > 3'),
  q('select id from xs_items where id > 1000'),
  q('select id, val from xs_items order by id', true),
  q('select id, val from xs_items order by val, id', true),
  q('select id, val from xs_items order by val desc, id', true),
  q('select id, val from xs_items order by val nulls first, id desc', true),
  q('select id, val from xs_items order by val desc nulls last, id', true),
  q('select id, price from xs_items order by price desc, id limit 5', true),
  q('select id, price from xs_items order by price, id limit 4 offset 3', true),
  q('select id, score from xs_items order by score, id desc limit 6', true),
  q('select id, flag from xs_items order by flag, id', true),
  q('select id, d from xs_items order by d desc, id limit 7', true),
  q('select id, ts from xs_items order by ts desc, id', true),
  q('select id from xs_items order by val, id', true),
  q('select * from xs_items order by id desc limit 3', true),
  q('select id, note from xs_items order by note collate "C", id', true),
  q('select id, note from xs_items order by note collate "C" desc nulls last, id limit 5', true),
  q('select id from xs_items order by id limit 5 offset 20', true),
  q('select id from xs_items order by id offset 19', true),
  q('select id from xs_items order by id limit 0', true),
  q('select id from xs_items where id > 1000 order by id limit 3', true),
  q('select id, val from xs_items order by 2 desc, 1 limit 8', true),
  q('select id, val as v from xs_items order by v, id', true),
  q('select count(*) from xs_items'),
  q('select count(*), count(val), count(grp) from xs_items'),
  q('select sum(val), sum(id), sum(price), sum(score) from xs_items'),
  q('select avg(val), avg(id), avg(price), avg(score) from xs_items'),
  q('select min(val), max(val), min(price), max(price), min(score), max(score) from xs_items'),
  q('select min(d), max(d), min(ts), max(ts), min(id), max(id) from xs_items'),
  q('select bool_and(flag), bool_or(flag), every(flag) from xs_items'),
  q('select min(note collate "C"), max(note collate "C") from xs_items'),
  q('select count(*), sum(val), avg(val), min(val), max(val) from xs_items where id > 1000'),
  q("select count(*), avg(price) from xs_items where grp = 'c'"),
  q('select sum(val) from xs_items where val is null'),
  q('select grp, count(*) from xs_items group by grp'),
  q('select grp, count(*), sum(val), avg(val), min(price), max(score) from xs_items group by grp'),
  q('select grp, grp2, count(*), sum(price) from xs_items group by grp, grp2'),
  q('select count(*), avg(score) from xs_items group by grp2'),
  q('select grp, avg(price), bool_or(flag) from xs_items group by 1'),
  q('select grp, count(*) from xs_items group by grp order by grp collate "C"', true),
  q('select grp, count(*) c from xs_items group by grp order by c desc, grp collate "C" nulls first', true),
  q(
    'select grp, sum(val) from xs_items group by grp order by 2 desc nulls last, grp collate "C" limit 2',
    true,
  ),
  q('select grp2, count(*) from xs_items group by grp2 order by grp2 desc limit 2 offset 1', true),
  q('select grp, grp2, avg(val) from xs_items group by grp, grp2 order by grp collate "C", grp2', true),
  q('select grp, count(*) from xs_items group by grp having count(*) > 5'),
  q('select grp, sum(val) from xs_items group by grp having sum(val) >= 10 or grp is null'),
  q('select grp2, max(val) from xs_items group by grp2 having min(price) < 10 and count(*) >= 2'),
  q('select grp, count(*) from xs_items group by grp order by sum(val) desc nulls last', true),
  q('select grp2 from xs_items group by grp2 order by max(id)', true),
  q('select grp, count(*) from xs_items where id > 1000 group by grp'),
  q('select distinct grp from xs_items'),
  q('select distinct grp, grp2 from xs_items'),
  q('select distinct grp2 from xs_items order by grp2 nulls first', true),
  q('select distinct flag from xs_items order by flag desc limit 2', true),
  q('select distinct count(*) from xs_items group by grp2'),
  q('select distinct note collate "C" as n from xs_items order by n limit 4', true),
  q('select grp, avg(val) from xs_items where grp2 = 1 group by grp order by 2, grp collate "C"', true),
  q('select id, coalesce(val, 0) as v, upper(note) as u from xs_items order by id', true),
  q('select grp, max(abs(val)) as m, count(*) from xs_items group by grp'),
]

/** SELECTs the planner must refuse. */
export const REFUSE_CORPUS: string[] = [
  'select my_total(val) from xs_items',
  'select grp, public.my_total(val) from xs_items group by grp',
  'select id from xs_items order by my_rank(val)',
  'select id, row_number() over (order by id) from xs_items',
  'select distinct on (grp) grp, id from xs_items',
  'select count(distinct grp) from xs_items',
  'select sum(val) filter (where val > 0) from xs_items',
  "select string_agg(note, ',' order by note) from xs_items",
  "select string_agg(note, ',') from xs_items",
  'select array_agg(id) from xs_items',
  'select stddev(val) from xs_items',
  'select generate_series(1, 3), id from xs_items',
  'select id from xs_items for update',
  'select id from xs_items union select id from xs_items',
  'select 1 from xs_items; select 2 from xs_items',
  'insert into xs_items(id) values (1)',
  'update xs_items set val = 1',
  'select id into xs_copy from xs_items',
  'select count(*) + 1 from xs_items',
  'select sum(val) / 2 from xs_items',
  'select n from (select count(*) n from xs_items) s',
  'select id from xs_items where val > (select avg(val) from xs_items)',
  'select id from xs_items limit $1',
  'select id from xs_items limit 2 + 3',
  'select id from xs_items order by note collate "en_US"',
  'select * from xs_items group by id',
  'with t as (select id from xs_items) select id from t',
  'select distinct grp from xs_items order by id',
]
