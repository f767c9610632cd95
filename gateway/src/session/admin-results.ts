/**
 * Bytes of the admin console's replies: a result set (RowDescription, DataRow each, CommandComplete
 * `SHOW`) and its errors. Bytes only: what goes in the rows is the commands' business (admin-commands.ts).
 * @module
 */
import {
  serializeCommandComplete,
  serializeDataRow,
  serializeErrorResponse,
  serializeRowDescription,
} from '../protocol/backend.js'

/** Type OIDs the admin columns use (PgBouncer types counts as int8/int4, the rest as text). */
export const Oid = { text: 25, int4: 23, int8: 20, bool: 16 } as const

/** One column: its name and type. */
export type AdminColumn = readonly [name: string, typeOid: number]

/** A value of a row: text, a number (sent as text), or NULL. */
export type AdminValue = string | number | bigint | null

/** RowDescription + a DataRow per row + CommandComplete `SHOW`. */
export function resultSet(columns: readonly AdminColumn[], rows: readonly (readonly AdminValue[])[]): Buffer {
  const parts = [serializeRowDescription(columns.map(([name, typeOid]) => ({ name, typeOid })))]
  for (const row of rows) parts.push(serializeDataRow(row.map((v) => (v === null ? null : String(v)))))
  parts.push(serializeCommandComplete('SHOW'))
  return Buffer.concat(parts)
}

/** An ERROR the session goes on after. */
export function adminError(code: string, message: string, hint?: string): Buffer {
  return serializeErrorResponse({ severity: 'ERROR', code, message, hint })
}
