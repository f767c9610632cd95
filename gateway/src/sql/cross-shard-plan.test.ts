import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CrossShardPlan, planCrossShardRead } from './cross-shard-plan.js'
import type { MergeSpec } from './merge-spec.js'

function merge(sql: string): { shardSql: string; spec: MergeSpec } {
  const plan: CrossShardPlan = planCrossShardRead(sql)
  assert.equal(plan.kind, 'merge', plan.kind === 'refuse' ? plan.message : '')
  if (plan.kind !== 'merge') throw new Error('unreachable')
  return { shardSql: plan.shardSql.replace(/\s+/g, ' ').trim(), spec: plan.merge }
}

const asc = (column: number, collateC = false) => ({ column, descending: false, nullsFirst: false, collateC })

describe('planCrossShardRead', () => {
  it('plain rows: concatenated, the statement unchanged', () => {
    const { shardSql, spec } = merge('select id, val from t where val > 1')
    assert.equal(shardSql, 'SELECT id , val FROM t WHERE (val > (1))')
    assert.deepEqual(spec, { hidden: 0, distinct: false, sort: [], offset: 0 })
  })

  it('ORDER BY with LIMIT/OFFSET: each shard sorts and returns LIMIT n+m, the merge applies both', () => {
    const { shardSql, spec } = merge('select id from t order by val desc, id limit 3 offset 2')
    assert.equal(shardSql, 'SELECT id , val AS "__xs0" FROM t ORDER BY val DESC , id LIMIT (5)')
    assert.deepEqual(spec.sort, [{ column: 1, descending: true, nullsFirst: true, collateC: false }, asc(0)])
    assert.deepEqual([spec.hidden, spec.limit, spec.offset], [1, 3, 2])
  })

  it('ORDER BY position, alias, NULLS FIRST, and COLLATE "C" carried to the shard and the merge', () => {
    const { shardSql, spec } = merge('select id, note as n from t order by n collate "C" nulls first, 1')
    assert.match(shardSql, /ORDER BY \(\(n\) COLLATE "C" \) NULLS FIRST , \(1\)$/)
    assert.deepEqual(spec.sort, [{ column: 1, descending: false, nullsFirst: true, collateC: true }, asc(0)])
  })

  it('SELECT * with ORDER BY: the key is hidden and counted from the end', () => {
    const { shardSql, spec } = merge('select * from t order by id limit 2')
    assert.equal(shardSql, 'SELECT * , id AS "__xs0" FROM t ORDER BY id LIMIT (2)')
    assert.deepEqual([spec.sort[0]!.column, spec.hidden], [-1, 1])
  })

  it('aggregates with GROUP BY: shards group, HAVING/ORDER BY/LIMIT move to the merge, avg gets sum and count', () => {
    const { shardSql, spec } = merge(
      'select grp, avg(val), count(*) from t group by grp having count(*) > 2 order by 2 desc limit 1',
    )
    assert.equal(
      shardSql,
      'SELECT grp , (avg (val) ) , (count (*) ) , (sum (val) ) AS "__xs0" , (count (val) ) AS "__xs1" FROM t GROUP BY grp',
    )
    assert.deepEqual(spec.group, {
      keys: [0],
      aggregates: [
        { column: 3, fn: 'sum' },
        { column: 4, fn: 'count' },
        { column: 1, fn: 'avg', sum: 3, count: 4 },
        { column: 2, fn: 'count' },
      ],
    })
    assert.deepEqual(spec.having, { op: '>', column: 2, value: '2' })
    assert.deepEqual([spec.hidden, spec.limit, spec.sort[0]!.column], [2, 1, 1])
  })

  it('a GROUP BY key or ORDER BY aggregate not selected is added hidden; DISTINCT moves to the merge', () => {
    const { shardSql, spec } = merge('select distinct count(*) from t group by grp2 order by max(id)')
    assert.equal(
      shardSql,
      'SELECT (count (*) ) , grp2 AS "__xs0" , (max (id) ) AS "__xs1" FROM t GROUP BY grp2',
    )
    assert.deepEqual(spec.group?.keys, [1])
    assert.equal(spec.distinct, true)
    assert.deepEqual(spec.group?.aggregates.at(-1), { column: 2, fn: 'max', collateC: false })
  })

  it('an aggregate without GROUP BY is one group; every is bool_and; min(x COLLATE "C") says so', () => {
    const { spec } = merge('select count(val), every(flag), min(note collate "C") from t')
    assert.deepEqual(spec.group, {
      keys: [],
      aggregates: [
        { column: 0, fn: 'count' },
        { column: 1, fn: 'bool_and' },
        { column: 2, fn: 'min', collateC: true },
      ],
    })
  })

  it('caches the plan by the exact text', () => {
    const sql = 'select id from t order by id'
    assert.equal(planCrossShardRead(sql), planCrossShardRead(sql))
  })

  const refusals: Array<[sql: string, names: RegExp]> = [
    ['select row_number() over () from t', /window functions/],
    ['select distinct on (a) a from t', /DISTINCT ON/],
    ['select count(distinct a) from t', /DISTINCT, FILTER or ORDER BY inside/],
    ['select sum(a) filter (where a > 1) from t', /DISTINCT, FILTER or ORDER BY inside/],
    ["select string_agg(a, ',') from t", /the aggregate string_agg/],
    ['select my_agg(a) from t', /the function my_agg \(it could be a user-defined aggregate\)/],
    ['select g, s.f(a) from t group by g', /the function s\.f/],
    ['select a from t where b > (select my_avg(b) from t)', /the function my_avg/],
    ['select stddev(a) from t', /the aggregate stddev/],
    ['select unnest(a) from t', /set-returning functions/],
    ['select a from t for share', /FOR UPDATE \/ FOR SHARE/],
    ['select a from t union all select b from u', /set operations/],
    ['select a from t; select b from t', /multi-statement/],
    ['delete from t', /DELETE \(only a SELECT\)/],
    ['select a into u from t', /SELECT INTO/],
    ['select max(a) * 2 from t', /expressions around aggregates/],
    ['select a from (select a from t limit 1) s', /subqueries/],
    ['select a from t limit $1', /LIMIT that is not a constant/],
    ['select a from t order by a collate "de_DE"', /COLLATE/],
    ['select grp from t group by grp having avg(x) > max(y)', /HAVING condition/],
    ['select distinct a from t order by b', /outside the select list with DISTINCT/],
  ]
  for (const [sql, names] of refusals)
    it(`refuses ${sql}`, () => {
      const plan = planCrossShardRead(sql)
      assert.equal(plan.kind, 'refuse')
      if (plan.kind === 'refuse') {
        assert.match(plan.message, names)
        assert.match(plan.hint!, /SET SHARD TO/)
      }
    })
})
