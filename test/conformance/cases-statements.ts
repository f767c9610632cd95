/**
 * Conformance cases for prepared statements: node-postgres named queries (Parse once per connection,
 * then Bind/Execute), re-prepared on another connection, failing and reused, inside a transaction;
 * and SQL-level PREPARE / EXECUTE / DEALLOCATE.
 * @module
 */
import assert from 'node:assert/strict'
import { LEDGER } from './fixtures.js'
import { defineCase } from './harness.js'
import { failed, ok, on, script, firstValue as value } from './outcomes.js'
import type { ConformanceCase, Outcome } from './target.js'

const ADD = { name: 'conf_add', text: 'select $1::int + $2::int as sum' }
const DIVIDE = { name: 'conf_divide', text: 'select 10 / $1::int as q' }
const INSERT = { name: 'conf_insert', text: `insert into ${LEDGER} values ($1, $2, $3) returning id` }
const COUNT = { name: 'conf_count', text: `select count(*)::int as n from ${LEDGER}` }

/** Every case of this file. */
export const STATEMENT_CASES: ConformanceCase[] = [
  defineCase({
    name: 'prepared statements: a named statement run repeatedly, and again on another connection',
    needs: ['named-statements'],
    run: async (ctx) => {
      const [a, b] = [await ctx.connect(), await ctx.connect()]
      const outcomes: Outcome[] = []
      for (let i = 0; i < 3; i++) outcomes.push(await a.query({ ...ADD, values: [i, 1] }))
      for (let i = 0; i < 2; i++) outcomes.push(await b.query({ ...ADD, values: [i, 10] }))
      outcomes.push(await a.query({ ...ADD, values: [100, 1] }))
      return outcomes
    },
    expect: (o) => assert.deepEqual(o.map(value), [1, 2, 3, 10, 11, 101]),
  }),
  defineCase({
    name: 'prepared statements: a named statement whose execution fails, then runs again',
    needs: ['named-statements'],
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.query({ ...DIVIDE, values: [0] }),
        await a.query({ ...DIVIDE, values: [5] }),
        await a.query({ ...DIVIDE, values: ['x'] }),
        await a.query({ ...DIVIDE, values: [2] }),
      ]
    },
    expect: (o) => {
      assert.equal(failed(o[0]).code, '22012')
      assert.equal(value(o[1]), 2)
      assert.equal(failed(o[2]).code, '22P02')
    },
  }),
  defineCase({
    name: 'prepared statements: a named statement whose Parse fails, then the name reused',
    needs: ['named-statements'],
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.query({ name: 'conf_reused', text: 'selec $1', values: [1] }),
        await a.query({ name: 'conf_reused', text: 'select $1::int * 2 as n', values: [21] }),
        await a.query({ name: 'conf_reused', text: 'select $1::int * 2 as n', values: [4] }),
      ]
    },
    expect: (o) => {
      assert.equal(failed(o[0]).code, '42601')
      assert.equal(value(o[1]), 42)
    },
  }),
  defineCase({
    name: 'prepared statements: named statements in a transaction that rolls back, then one that commits',
    needs: ['named-statements', 'session'],
    reset: `truncate ${LEDGER}`,
    run: async (ctx) =>
      script(
        on(
          await ctx.connect(),
          ...['BEGIN', { ...INSERT, values: [1, 1, 'one'] }, { ...COUNT, values: [] }, 'ROLLBACK'],
          ...[{ ...COUNT, values: [] }, 'BEGIN', { ...INSERT, values: [2, 2, 'two'] }, 'COMMIT'],
          { ...COUNT, values: [] },
        ),
      ),
    expect: (o) => assert.deepEqual([value(o[2]), value(o[4]), value(o[8])], [1, 0, 1]),
  }),
  defineCase({
    name: 'prepared statements: SQL PREPARE, EXECUTE and DEALLOCATE',
    needs: ['session'],
    run: async (ctx) =>
      script(
        on(
          await ctx.connect(),
          'PREPARE conf_twice (int) AS select $1 * 2 as n',
          'EXECUTE conf_twice (21)',
          'EXECUTE conf_twice (5)',
          'select name, statement, parameter_types::text from pg_prepared_statements where from_sql',
          'DEALLOCATE conf_twice',
          'EXECUTE conf_twice (1)',
        ),
      ),
    expect: (o) => {
      assert.equal(value(o[1]), 42)
      assert.equal(failed(o[5]).code, '26000')
    },
  }),
  defineCase({
    name: "prepared statements: pg_prepared_statements lists the client's own statements, by its names",
    needs: ['named-statements', 'session'],
    knownDifference: {
      targets: /transaction mode/,
      reason:
        'documented: transaction mode prepares each statement under a gateway-wide name (skiff_…) on ' +
        'every server connection the client lands on, shared with the other clients of its pool, so ' +
        'the view shows those names and what other clients prepared there (README, prepared statements)',
    },
    run: async (ctx) => {
      const a = await ctx.connect()
      await a.query({ ...ADD, values: [1, 2] })
      await a.query({ ...DIVIDE, values: [5] })
      return a.query('select name, statement, from_sql from pg_prepared_statements order by name')
    },
    expect: (o) => assert.equal(ok(o)[0]!.rowCount, 2),
  }),
]
