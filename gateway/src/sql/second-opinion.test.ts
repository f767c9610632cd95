import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { astWrites } from './second-opinion.js'

describe('astWrites (pgsql-ast-parser)', () => {
  it('finds nothing to write in reads and transaction control', () => {
    for (const text of [
      'SELECT abalance FROM pgbench_accounts WHERE aid = 123',
      'select * from t where a in (select b from u) order by 1 limit 2',
      'with a as (select 1) select * from a',
      'values (1), (2)',
      '(select 1) union (select 2)',
      "select currval('s'), f(x), pg_advisory_unlock(1) from t",
      'select 1 as "update", (select 2) as nextval',
    ]) {
      assert.deepEqual(astWrites(text), [false], text)
    }
    assert.deepEqual(astWrites('begin; select 1; commit'), [false, false, false])
  })

  it('finds row locks, data-modifying WITH queries and primary functions, at any depth', () => {
    for (const text of [
      'select * from t for update',
      'select * from t for no key update',
      'select * from t where a in (select 1 for share)',
      'with a as (delete from t returning *) select * from a',
      'with a as (update t set x = 1 returning *) select 1',
      "select nextval('s')",
      "select NEXTVAL('s')",
      "select pg_catalog.setval('s', 1)",
      "select * from t where id = (select nextval('s'))",
      'select pg_advisory_xact_lock(1)',
    ]) {
      assert.deepEqual(astWrites(text), [true], text)
    }
  })

  it('reads quoted function names exactly, as Postgres does', () => {
    assert.deepEqual(astWrites(`select "nextval"('s')`), [true])
    assert.deepEqual(astWrites(`select "NEXTVAL"('s')`), [false]) // another function
  })

  it('answers per statement, and calls any statement that is not a query or control a write', () => {
    assert.deepEqual(astWrites("select 1; select nextval('s'); select 2"), [false, true, false])
    assert.deepEqual(astWrites('select 1; create table t (a int)'), [false, true])
  })

  it('has no opinion on what it cannot parse', () => {
    for (const text of [
      'explain select 1',
      'table t',
      'select * into t2 from t',
      'select 1 intersect select 2',
      'select * from t for update of t',
      '',
    ]) {
      assert.equal(astWrites(text), undefined, text)
    }
  })
})
