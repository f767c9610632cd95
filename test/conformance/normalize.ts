/**
 * Turns what each driver returns (node-postgres and Neon results, errors and notices; postgres.js errors)
 * into the records of target.ts, so direct Postgres and every Skiff target compare field by field.
 * @module
 */
import { canonical } from '../helpers/neon.js'
import type { FieldRecord, Outcome, ReportRecord, ResultRecord } from './target.js'

/**
 * The ErrorResponse/NoticeResponse fields node-postgres, Neon's Client and Neon's NeonDbError expose,
 * under their names. `name` and `length` are left out: they are the class and the message length,
 * which differ between driver copies, not between servers.
 */
export const REPORT_FIELDS = [
  'message',
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const

/** postgres.js names for the same fields (its `PostgresError` keeps the protocol's snake_case names). */
const POSTGRES_JS_NAMES: Record<(typeof REPORT_FIELDS)[number], string> = {
  message: 'message',
  severity: 'severity',
  code: 'code',
  detail: 'detail',
  hint: 'hint',
  position: 'position',
  internalPosition: 'internal_position',
  internalQuery: 'internal_query',
  where: 'where',
  schema: 'schema_name',
  table: 'table_name',
  column: 'column_name',
  dataType: 'data type_name',
  constraint: 'constraint_name',
  file: 'file',
  line: 'line',
  routine: 'routine',
}

/** A result-like object as node-postgres and Neon (Client and `fullResults`) return it. */
export interface PgLikeResult {
  command: string | null
  rowCount: number | null
  fields: FieldRecord[]
  rows: unknown[]
}

function fieldRecord(f: FieldRecord): FieldRecord {
  const { name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format } = f
  return { name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format }
}

/** One statement's result, with rows made comparable (Buffers, Dates, class names; see canonical()). */
export function resultRecord(r: PgLikeResult): ResultRecord {
  return {
    command: r.command ?? null,
    rowCount: r.rowCount ?? null,
    fields: (r.fields ?? []).map(fieldRecord),
    rows: canonical(r.rows),
  }
}

/** A node-postgres query result (an array for a multi-statement Query) as an outcome. */
export function okOutcome(r: PgLikeResult | PgLikeResult[]): Outcome {
  return { ok: (Array.isArray(r) ? r : [r]).map(resultRecord) }
}

/**
 * A database error or notice as a record. An error without a severity did not come from a server
 * (a driver or socket error) and is kept as its message alone, so it can never equal a server's.
 */
export function reportRecord(e: unknown, names: Record<string, string> = {}): ReportRecord {
  const source = (e ?? {}) as Record<string, unknown>
  const at = (field: string) => source[names[field] ?? field]
  if (at('severity') === undefined) return { clientError: String((e as Error)?.message ?? e) }
  const record: ReportRecord = {}
  for (const field of REPORT_FIELDS) {
    const value = at(field)
    record[field] = value === undefined || value === null ? null : String(value)
  }
  return record
}

/** A node-postgres or Neon error as an outcome. */
export function errorOutcome(e: unknown): Outcome {
  return { error: reportRecord(e) }
}

/** A postgres.js error as an outcome, under the same field names as the others. */
export function postgresJsErrorOutcome(e: unknown): Outcome {
  return { error: reportRecord(e, POSTGRES_JS_NAMES) }
}

/** Runs a driver call and returns its outcome; database errors become error outcomes. */
export async function outcomeOf(
  run: () => Promise<PgLikeResult | PgLikeResult[]>,
  onError: (e: unknown) => Outcome = errorOutcome,
): Promise<Outcome> {
  try {
    return okOutcome(await run())
  } catch (e) {
    return onError(e)
  }
}
