/**
 * Conformance cases for what the server sends besides results: NOTICE, WARNING and INFO with every
 * field, and the answer to a CancelRequest sent with the key the client got at login.
 * @module
 */
import assert from 'node:assert/strict'
import { NOTIFY } from './fixtures.js'
import { defineCase } from './harness.js'
import { failed, ok } from './outcomes.js'
import type { CaseContext, ConformanceCase, ConformanceConn, Outcome } from './target.js'

/** The query a cancel case interrupts; unique, so the harness can see it run on the server. */
const SLEEP = 'select pg_sleep(30) as conf_cancelled'

/**
 * Runs SLEEP on `conn` and cancels it once the server runs it. If the query ends first, the case fails
 * with that outcome rather than waiting for a backend that will never show up.
 */
async function sleepAndCancel(ctx: CaseContext, conn: ConformanceConn): Promise<Outcome> {
  let ended = false
  const running = conn.query(SLEEP).finally(() => {
    ended = true
  })
  await ctx.waitUntilRunning(SLEEP, () => ended)
  if (ended) assert.fail(`the query ended before the cancel: ${JSON.stringify(await running)}`)
  await conn.cancel()
  return running
}

const NOTICES: ConformanceCase[] = [
  defineCase({
    name: 'NOTICE: RAISE INFO, NOTICE and WARNING from a DO block, with detail and hint',
    needs: ['notice'],
    run: async (ctx) => {
      const a = await ctx.connect()
      const outcome = await a.query(`DO $$ begin
        raise info 'info %', 1;
        raise notice 'notice %', 2 using detail = 'the detail', hint = 'the hint', errcode = '01000';
        raise debug 'debug is below client_min_messages';
        raise warning 'warning %', 3 using column = 'c', table = 't';
      end $$`)
      return { outcome, notices: a.takeNotices() }
    },
    expect: (r) => {
      assert.deepEqual(
        r.notices.map((n) => n.severity),
        ['INFO', 'NOTICE', 'WARNING'],
      )
      assert.equal(r.notices[1]!.hint, 'the hint')
    },
  }),
  defineCase({
    name: 'NOTICE: a server notice (DROP … IF EXISTS) and one before an error',
    needs: ['notice'],
    run: async (ctx) => {
      const a = await ctx.connect()
      const dropped = await a.query('drop table if exists conf_never_created')
      const first = a.takeNotices()
      const failing = await a.query(`DO $$ begin raise notice 'before'; perform 1 / 0; end $$`)
      return { dropped, first, failing, second: a.takeNotices() }
    },
    expect: (r) => {
      assert.equal(r.first[0]!.code, '00000')
      assert.equal(r.second[0]!.message, 'before')
      assert.equal(failed(r.failing).code, '22012')
    },
  }),
]

/** A notice raised once per row, from a statement with a parameter (so the extended protocol). */
const PER_ROW = {
  text: `select ${NOTIFY}(g::text || $1) as shout from generate_series(1, 3) g`,
  values: ['!'],
}

const FROM_FUNCTIONS: ConformanceCase[] = [
  defineCase({
    name: 'NOTICE: one per row from a function, in the extended protocol',
    needs: ['notice'],
    run: async (ctx) => {
      const a = await ctx.connect()
      return { outcome: await a.query(PER_ROW), notices: a.takeNotices() }
    },
    expect: (r) =>
      assert.deepEqual(
        r.notices.map((n) => n.detail),
        ['from 1!', 'from 2!', 'from 3!'],
      ),
  }),
  defineCase({
    name: 'NOTICE: a statement that raises notices still returns its rows (on every front)',
    run: async (ctx) => (await ctx.connect()).query(PER_ROW),
    expect: (outcome) => assert.equal(ok(outcome)[0]!.rowCount, 3),
  }),
]

const CANCEL: ConformanceCase[] = [
  defineCase({
    name: 'cancel: a running query is cancelled with 57014, and the connection works on',
    needs: ['cancel'],
    run: async (ctx) => {
      const a = await ctx.connect()
      return [await sleepAndCancel(ctx, a), await a.query('select 1 as ok')]
    },
    expect: (o) => {
      assert.equal(failed(o[0]).code, '57014')
      assert.equal(ok(o[1]!)[0]!.rowCount, 1)
    },
  }),
  defineCase({
    name: 'cancel: inside a transaction, which is then aborted (25P02) until ROLLBACK',
    needs: ['cancel', 'session'],
    run: async (ctx) => {
      const a = await ctx.connect()
      const begin = await a.query('BEGIN')
      const cancelled = await sleepAndCancel(ctx, a)
      return [
        begin,
        cancelled,
        await a.query('select 1'),
        await a.query('ROLLBACK'),
        await a.query('select 2'),
      ]
    },
    expect: (o) => {
      assert.equal(failed(o[1]).code, '57014')
      assert.equal(failed(o[2]).code, '25P02')
    },
  }),
]

/** Every case of this file. */
export const SIGNAL_CASES: ConformanceCase[] = [...NOTICES, ...FROM_FUNCTIONS, ...CANCEL]
