/**
 * Turns what each driver returns (node-postgres and Neon results, errors and notices) into the records
 * of target.ts, so direct Postgres and every Skiff target compare field by field.
 *
 * Nothing a server sends is normalized away. What legitimately differs through Skiff is kept out of
 * the records instead: the BackendKeyData (Skiff issues its own process id and key, README
 * "Differences from Postgres") is only used to send a CancelRequest, never recorded, and no case
 * selects a backend pid or a clock. What differs between driver copies (class names, Buffer and Date
 * instances) is made comparable by canonical().
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
export function reportRecord(e: unknown): ReportRecord {
  const source = (e ?? {}) as Record<string, unknown>
  if (source.severity === undefined) return { clientError: String((e as Error)?.message ?? e) }
  const record: ReportRecord = {}
  for (const field of REPORT_FIELDS) {
    const value = source[field]
    record[field] = value === undefined || value === null ? null : String(value)
  }
  return record
}

/** Runs a driver call and returns its outcome; database errors become error outcomes. */
export async function outcomeOf(run: () => Promise<PgLikeResult | PgLikeResult[]>): Promise<Outcome> {
  try {
    return okOutcome(await run())
  } catch (e) {
    return { error: reportRecord(e) }
  }
}
