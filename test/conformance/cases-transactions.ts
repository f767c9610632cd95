/**
 * Conformance cases for transactions: what another connection sees before and after COMMIT, ROLLBACK,
 * savepoints, snapshots and read-only transactions on a session; and, on every target including HTTP,
 * a batch that commits as a whole or rolls back at its first error.
 * @module
 */
import assert from 'node:assert/strict'
import { LEDGER } from './fixtures.js'
import { defineCase } from './harness.js'
import { failed, firstValue, ok, on, script } from './outcomes.js'
import type { ConformanceCase, Outcome } from './target.js'

const RESET = `truncate ${LEDGER}`
const COUNT = `select count(*)::int as n from ${LEDGER}`
const insert = (id: number, amount = id) => `insert into ${LEDGER} values (${id}, ${amount}, 'row ${id}')`

/** The `n` of a COUNT outcome. */
const count = (o: Outcome | undefined) => firstValue(o)

const SESSION: ConformanceCase[] = [
  defineCase({
    name: 'transactions: COMMIT makes rows visible to another connection',
    needs: ['session'],
    reset: RESET,
    run: async (ctx) => {
      const [a, b] = [await ctx.connect(), await ctx.connect()]
      return script([
        [a, 'BEGIN'],
        [a, insert(1)],
        [a, COUNT],
        [b, COUNT],
        [a, 'COMMIT'],
        [b, COUNT],
      ])
    },
    expect: (o) => assert.deepEqual([count(o[2]), count(o[3]), count(o[5])], [1, 0, 1]),
  }),
  defineCase({
    name: 'transactions: ROLLBACK discards the rows',
    needs: ['session'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return script(on(a, 'BEGIN', insert(1), insert(2), COUNT, 'ROLLBACK', COUNT))
    },
    expect: (o) => assert.deepEqual([count(o[3]), count(o[5])], [2, 0]),
  }),
  defineCase({
    name: 'transactions: savepoints, an error rolled back to one, RELEASE',
    needs: ['session'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return script(
        on(
          a,
          ...['BEGIN', insert(1), 'SAVEPOINT s1', insert(2), 'ROLLBACK TO SAVEPOINT s1', insert(3)],
          ...['SAVEPOINT s2', insert(3), 'select 1', 'ROLLBACK TO s2', 'RELEASE s2', 'COMMIT'],
          `select id from ${LEDGER} order by id`,
        ),
      )
    },
    expect: (o) => {
      assert.equal(failed(o[7]).code, '23505')
      assert.equal(failed(o[8]).code, '25P02')
      assert.equal(ok(o[12]!)[0]!.rowCount, 2)
    },
  }),
  defineCase({
    name: 'transactions: REPEATABLE READ keeps its snapshot while another connection commits',
    needs: ['session'],
    reset: RESET,
    run: async (ctx) => {
      const [a, b] = [await ctx.connect(), await ctx.connect()]
      return script([
        [a, 'BEGIN ISOLATION LEVEL REPEATABLE READ'],
        [a, COUNT],
        [b, insert(1)],
        [a, COUNT],
        [a, 'COMMIT'],
        [a, COUNT],
      ])
    },
    expect: (o) => assert.deepEqual([count(o[1]), count(o[3]), count(o[5])], [0, 0, 1]),
  }),
  defineCase({
    name: 'transactions: a READ ONLY transaction refuses writes (25006)',
    needs: ['session'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return script(on(a, 'BEGIN READ ONLY', insert(1), 'ROLLBACK', COUNT))
    },
    expect: (o) => assert.equal(failed(o[1]).code, '25006'),
  }),
]

const BATCHES: ConformanceCase[] = [
  defineCase({
    name: 'transactions: a batch commits all its statements',
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      const batch = await a.batch([
        { text: insert(1) },
        { text: `insert into ${LEDGER} values ($1, $2, $3)`, values: [2, 20, 'two'] },
        { text: `select id, amount, note from ${LEDGER} order by id` },
      ])
      return [batch, await (await ctx.connect()).query(COUNT)]
    },
    expect: (o) => assert.equal(count(o[1]), 2),
  }),
  defineCase({
    name: 'transactions: a batch rolls back at its first error',
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      const batch = await a.batch([{ text: insert(1) }, { text: insert(1) }, { text: insert(2) }])
      return [batch, await (await ctx.connect()).query(COUNT)]
    },
    expect: (o) => {
      assert.equal(failed(o[0]).code, '23505')
      assert.equal(count(o[1]), 0)
    },
  }),
]

/** Every case of this file. */
export const TRANSACTION_CASES: ConformanceCase[] = [...SESSION, ...BATCHES]
