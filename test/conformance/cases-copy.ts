/**
 * Conformance cases for COPY: FROM STDIN in text and CSV (sent as several CopyData messages), TO
 * STDOUT, bad data and a constraint failing mid-COPY (with the line in `where`), and a COPY rolled
 * back with its transaction. Over HTTP COPY is refused by design; conformance.test.ts checks that.
 * @module
 */
import assert from 'node:assert/strict'
import { LEDGER } from './fixtures.js'
import { defineCase } from './harness.js'
import { failed, ok } from './outcomes.js'
import type { ConformanceCase } from './target.js'

const RESET = `truncate ${LEDGER}`
const READ_BACK = `select id, amount, note from ${LEDGER} order by id`
const TEXT_ROWS = '1\t10\tten\n2\t20\t\\N\n3\t-5\tthree ✓ tab\\there\n'

/** Every case of this file. */
export const COPY_CASES: ConformanceCase[] = [
  defineCase({
    name: 'COPY: FROM STDIN in text format, then the rows read back',
    needs: ['copy'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.copyIn(`copy ${LEDGER} (id, amount, note) from stdin`, TEXT_ROWS),
        await a.query(READ_BACK),
      ]
    },
    expect: (o) => {
      assert.deepEqual(ok(o[0]!)[0]!.rowCount, 3)
      assert.equal(ok(o[1]!)[0]!.rowCount, 3)
    },
  }),
  defineCase({
    name: 'COPY: 20,000 rows FROM STDIN (as many CopyData messages), then counted',
    needs: ['copy'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      const data = Array.from({ length: 20_000 }, (_, i) => `${i + 1}\t${i + 1}\tnote ${i + 1}\n`).join('')
      return [
        await a.copyIn(`copy ${LEDGER} from stdin`, data),
        await a.query(
          `select count(*)::int as n, sum(amount)::int8 as total, max(note) as last from ${LEDGER}`,
        ),
      ]
    },
    expect: (o) => assert.equal(ok(o[0])[0]!.rowCount, 20_000),
  }),
  defineCase({
    name: 'COPY: FROM STDIN as CSV with a header, quotes and NULLs',
    needs: ['copy'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      const csv = 'id,amount,note\n1,1,"a, quoted ""note"""\n2,2,\n3,3,""\n'
      return [
        await a.copyIn(`copy ${LEDGER} from stdin with (format csv, header)`, csv),
        await a.query(READ_BACK),
      ]
    },
    expect: (o) => assert.equal(ok(o[0]!)[0]!.rowCount, 3),
  }),
  defineCase({
    name: 'COPY: TO STDOUT from a table and from a query, text and CSV',
    needs: ['copy'],
    reset: `${RESET}; insert into ${LEDGER} values (1, 10, 'ten'), (2, -2, null), (3, 3, 'tab	"q"')`,
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.copyOut(`copy ${LEDGER} to stdout`),
        await a.copyOut(
          `copy (select id, note from ${LEDGER} order by id) to stdout with (format csv, header)`,
        ),
        await a.copyOut(`copy (select g from generate_series(1, 3000) g) to stdout`),
      ]
    },
    expect: (o) => {
      assert.equal(ok(o[0]!)[0]!.rowCount, 3)
      const lines = Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join('')
      assert.deepEqual(ok(o[2]!)[0]!.rows, [{ '<Object>': { copy: lines } }])
    },
  }),
  defineCase({
    name: 'COPY: bad data fails with its line and column, nothing is kept, the connection works on',
    needs: ['copy'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.copyIn(`copy ${LEDGER} from stdin`, '1\t1\tok\n2\tnot-a-number\tbad\n3\t3\tnever read\n'),
        await a.copyIn(`copy ${LEDGER} from stdin`, '1\t1\tok\n2\t0\tcheck fails\n'),
        await a.copyIn(`copy conf_no_such_table from stdin`, '1\n'),
        await a.query(READ_BACK),
      ]
    },
    expect: (o) => {
      assert.equal(failed(o[0]).code, '22P02')
      assert.match(String(failed(o[0]).where), /line 2, column amount/)
      assert.equal(failed(o[1]).code, '23514')
      assert.equal(failed(o[2]).code, '42P01')
      assert.equal(ok(o[3]!)[0]!.rowCount, 0)
    },
  }),
  defineCase({
    name: 'COPY: inside a transaction that rolls back',
    needs: ['copy', 'session'],
    reset: RESET,
    run: async (ctx) => {
      const a = await ctx.connect()
      return [
        await a.query('BEGIN'),
        await a.copyIn(`copy ${LEDGER} from stdin`, TEXT_ROWS),
        await a.query(READ_BACK),
        await a.query('ROLLBACK'),
        await a.query(READ_BACK),
      ]
    },
    expect: (o) => assert.deepEqual([ok(o[2]!)[0]!.rowCount, ok(o[4]!)[0]!.rowCount], [3, 0]),
  }),
]
