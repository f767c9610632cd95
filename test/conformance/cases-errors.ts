/**
 * Conformance cases for errors: every field of the ErrorResponse the drivers expose (position, detail,
 * hint, schema/table/column/constraint, internal query, where, file/line/routine) must reach the
 * client as Postgres sent it, and the connection must keep working as it does on Postgres.
 * @module
 */
import assert from 'node:assert/strict'
import { ACCOUNTS, LEDGER } from './fixtures.js'
import { defineCase } from './harness.js'
import { failed, ok, on, script } from './outcomes.js'
import type { ConformanceCase, QuerySpec } from './target.js'

/** Queries run one after the other on one connection; the record is every outcome. */
const sequence = (name: string, specs: (string | QuerySpec)[], reset?: string) =>
  defineCase({
    name,
    reset,
    run: async (ctx) => script(on(await ctx.connect(), ...specs)),
    expect: (outcomes) => assert.ok(outcomes.some((o) => 'error' in o && o.error.severity === 'ERROR')),
  })

const FIELDS: ConformanceCase[] = [
  sequence('errors: syntax error with its position (simple and extended)', [
    'selec 1',
    { text: 'select $1::int frm nowhere', values: [1] },
    'select 1 as still_working',
  ]),
  sequence('errors: undefined table and column with positions', [
    'select * from conf_no_such_table',
    'select no_such_column from pg_class',
  ]),
  sequence('errors: division by zero (simple and extended)', [
    'select 1/0',
    { text: 'select $1::int / 0', values: [1] },
  ]),
  sequence('errors: rows, then an error in the same statement (simple and extended)', [
    'select 1 / (500 - g) as q from generate_series(1, 1000) g',
    { text: 'select 1 / ($1 - g) as q from generate_series(1, 1000) g', values: [500] },
  ]),
  sequence('errors: a parameter that does not parse as its type', [
    { text: 'select $1::int as n', values: ['abc'] },
    { text: 'select $1::jsonb as j', values: ['{bad'] },
    { text: 'select $1::int as n', values: ['ünï ✓ "quoted"'] },
  ]),
  sequence(
    'errors: unique violations with detail, schema, table and constraint',
    [
      `insert into ${ACCOUNTS} values (1, 'a@example.com')`,
      `insert into ${ACCOUNTS} values (1, 'b@example.com')`,
      `insert into ${ACCOUNTS} values (2, 'a@example.com')`,
    ],
    `truncate ${ACCOUNTS}`,
  ),
  sequence(
    'errors: not-null and check violations with column and constraint',
    [`insert into ${LEDGER} values (1, null)`, `insert into ${LEDGER} values (1, 0, 'zero')`],
    `truncate ${LEDGER}`,
  ),
  sequence('errors: RAISE EXCEPTION from a DO block with detail, hint, errcode and object fields', [
    `DO $$ begin raise exception 'custom failure %', 42 using detail = 'the detail', hint = 'try again',
      errcode = '22023', schema = 's', table = 't', column = 'c', constraint = 'k', datatype = 'd'; end $$`,
  ]),
  sequence('errors: a failing statement inside PL/pgSQL (internal query and position, where)', [
    `DO $$ begin execute 'selec 1'; end $$`,
    `DO $$ declare n int; begin n := 1 / (select 0); end $$`,
  ]),
]

const FLOW: ConformanceCase[] = [
  defineCase({
    name: 'errors: inside a transaction, then 25P02 until ROLLBACK',
    needs: ['session'],
    run: async (ctx) =>
      script(
        on(
          await ctx.connect(),
          ...['BEGIN', 'select 1/0', 'select 1', 'COMMIT', 'select 2 as after_commit'],
          ...['BEGIN', 'select 1/0', 'ROLLBACK', 'select 3 as after_rollback'],
        ),
      ),
    expect: (outcomes) => {
      assert.equal(failed(outcomes[2]).code, '25P02')
      assert.equal(ok(outcomes[3])[0]!.command, 'ROLLBACK') // what COMMIT of a failed transaction answers
    },
  }),
  defineCase({
    name: 'errors: an error in a multi-statement Query skips the rest and rolls back its implicit transaction',
    needs: ['multi-statement'],
    reset: `truncate ${LEDGER}`,
    run: async (ctx) =>
      script(
        on(
          await ctx.connect(),
          `select 1 as a; insert into ${LEDGER} values (1, 1); select 1/0; select 3 as c`,
          `select count(*)::int as n from ${LEDGER}`,
        ),
      ),
    expect: (outcomes) => assert.equal(failed(outcomes[0]).code, '22012'),
  }),
]

/** Every case of this file. */
export const ERROR_CASES: ConformanceCase[] = [...FIELDS, ...FLOW]
