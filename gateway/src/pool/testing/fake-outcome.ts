/**
 * What a fake server answers one SQL statement with, independent of the protocol that carried it
 * (a simple Query sends a RowDescription first, an Execute does not), and the handlers tests use to
 * script answers per query text.
 * @module
 */
import { serializeCommandComplete, serializeErrorResponse } from '../../protocol/backend.js'
import { type Column, dataRow, emptyQueryResponse, rowDescription, TypeOid } from './backend-messages.js'

/** The result of one statement. */
export type Outcome =
  | { kind: 'rows'; columns: Column[]; rows: Array<Array<string | null>>; tag: string }
  | { kind: 'command'; tag: string }
  | { kind: 'empty' }
  /** FATAL: the server closes the connection after the ErrorResponse, as Postgres does. */
  | { kind: 'error'; code: string; message: string; severity: 'ERROR' | 'FATAL' }

/** What a handler may read of the fake session it runs in. */
export interface HandlerContext {
  readonly processId: number
  /** Current values of the reported parameters. */
  readonly params: ReadonlyMap<string, string>
}

/**
 * Answers a statement in a test's own way; undefined falls through to the default model. It may be
 * called for a Describe too (to learn the result columns), so it should not count calls or keep state.
 */
export type QueryHandler = (sql: string, context: HandlerContext) => Outcome | undefined

/** Which statements a handler answers: exact text (trimmed, case-insensitive), a pattern, or a test. */
export type QueryMatch = string | RegExp | ((sql: string) => boolean)

/** True when `sql` is one `match` selects. */
export function matches(match: QueryMatch, sql: string): boolean {
  if (typeof match === 'string') return match.trim().toLowerCase() === sql.trim().toLowerCase()
  if (match instanceof RegExp) return match.test(sql)
  return match(sql)
}

/** A result set; every column is text unless given as a {@link Column}. */
export function rows(
  columns: ReadonlyArray<string | Column>,
  values: Array<Array<string | null>>,
  tag = `SELECT ${values.length}`,
): Outcome {
  const cols = columns.map((c) => (typeof c === 'string' ? { name: c, type: TypeOid.text } : c))
  return { kind: 'rows', columns: cols, rows: values, tag }
}

/** A statement that returns no rows, e.g. `command('INSERT 0 1')`. */
export function command(tag: string): Outcome {
  return { kind: 'command', tag }
}

/** An ErrorResponse with SQLSTATE `code`. */
export function sqlError(code: string, message: string, severity: 'ERROR' | 'FATAL' = 'ERROR'): Outcome {
  return { kind: 'error', code, message, severity }
}

/**
 * The messages that answer an outcome. `withDescription`: a simple Query sends the RowDescription
 * before the rows; an Execute does not (its Describe did).
 */
export function renderOutcome(outcome: Outcome, withDescription: boolean): Buffer[] {
  switch (outcome.kind) {
    case 'rows': {
      const head = withDescription ? [rowDescription(outcome.columns)] : []
      return [...head, ...outcome.rows.map(dataRow), serializeCommandComplete(outcome.tag)]
    }
    case 'command':
      return [serializeCommandComplete(outcome.tag)]
    case 'empty':
      return [emptyQueryResponse()]
    case 'error':
      return [
        serializeErrorResponse({ severity: outcome.severity, code: outcome.code, message: outcome.message }),
      ]
  }
}
