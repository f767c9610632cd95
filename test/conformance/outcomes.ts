/**
 * Small readers of outcomes for the cases' own checks on direct Postgres (`expect`), and the one way
 * cases run several queries in turn on a connection.
 * @module
 */
import assert from 'node:assert/strict'
import type { ConformanceConn, Outcome, QuerySpec, ReportRecord, ResultRecord } from './target.js'

/** The results of an outcome that must have succeeded. */
export function ok(outcome: Outcome | undefined): ResultRecord[] {
  assert.ok(outcome !== undefined && 'ok' in outcome, `expected results, got ${JSON.stringify(outcome)}`)
  return outcome.ok
}

/** The error of an outcome that must have failed. */
export function failed(outcome: Outcome | undefined): ReportRecord {
  assert.ok(outcome !== undefined && 'error' in outcome, `expected an error, got ${JSON.stringify(outcome)}`)
  return outcome.error
}

/** The rows of an outcome's first result, unwrapped from canonical()'s `{ '<Object>': row }`. */
export function rows(outcome: Outcome | undefined): Record<string, unknown>[] {
  const wrapped = ok(outcome)[0]!.rows as Record<string, Record<string, unknown>>[]
  return wrapped.map((row) => row['<Object>']!)
}

/** The first column of the first row of an outcome. */
export function firstValue(outcome: Outcome | undefined): unknown {
  const [row] = rows(outcome)
  assert.ok(row !== undefined, `expected a row, got ${JSON.stringify(outcome)}`)
  return Object.values(row)[0]
}

/** A query and the connection it runs on. */
export type Step = [ConformanceConn, QuerySpec | string]

/** Steps that all run on `conn`. */
export const on = (conn: ConformanceConn, ...specs: (QuerySpec | string)[]): Step[] =>
  specs.map((spec) => [conn, spec])

/** Runs each step in turn (never two at once); the record is every outcome, in order. */
export async function script(steps: Step[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const [conn, spec] of steps) outcomes.push(await conn.query(spec))
  return outcomes
}
