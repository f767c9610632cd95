/**
 * What an admin command answers, and its bytes: a result set (RowDescription, a DataRow each,
 * CommandComplete), a bare CommandComplete (RELOAD, PAUSE, ...) or an error. The simple protocol sends
 * the RowDescription with the rows; the extended protocol sends it on Describe and the rows on Execute.
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

/** SQLSTATEs the console uses that protocol/sqlstate.ts does not name. */
export const AdminState = {
  /** PAUSE while paused, RESUME while not (PgBouncer's "already suspended/paused"). */
  NotInPrerequisiteState: '55000',
  /** KILL_CLIENT of a client, BAN of a server, that does not exist. */
  UndefinedObject: '42704',
} as const

/** One column: its name and type. */
export type AdminColumn = readonly [name: string, typeOid: number]

/** A value of a row: text, a number (sent as text), or NULL. */
export type AdminValue = string | number | bigint | null

/** What one command answers. */
export type AdminResult =
  | {
      readonly kind: 'rows'
      readonly columns: readonly AdminColumn[]
      readonly rows: readonly (readonly AdminValue[])[]
    }
  | { readonly kind: 'done'; readonly tag: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly hint?: string }

/** A result set (tag SHOW). */
export function rows(columns: readonly AdminColumn[], data: readonly (readonly AdminValue[])[]): AdminResult {
  return { kind: 'rows', columns, rows: data }
}

/** A command that returns no rows: CommandComplete `tag`. */
export function done(tag: string): AdminResult {
  return { kind: 'done', tag }
}

/** An error the session goes on after. */
export function failed(code: string, message: string, hint?: string): AdminResult {
  return { kind: 'error', code, message, hint }
}

/** RowDescription of `columns`. */
export function rowDescription(columns: readonly AdminColumn[]): Buffer {
  return serializeRowDescription(columns.map(([name, typeOid]) => ({ name, typeOid })))
}

/**
 * The bytes of a result: with `describe` (simple protocol) a result set starts with its RowDescription;
 * without (an extended-protocol Execute) the Describe sent it.
 */
export function resultBytes(result: AdminResult, describe: boolean): Buffer {
  switch (result.kind) {
    case 'error':
      return adminError(result.code, result.message, result.hint)
    case 'done':
      return serializeCommandComplete(result.tag)
    case 'rows': {
      const parts = describe ? [rowDescription(result.columns)] : []
      for (const row of result.rows)
        parts.push(serializeDataRow(row.map((v) => (v === null ? null : String(v)))))
      parts.push(serializeCommandComplete('SHOW'))
      return Buffer.concat(parts)
    }
  }
}

/** RowDescription + a DataRow per row + CommandComplete `SHOW`. */
export function resultSet(columns: readonly AdminColumn[], data: readonly (readonly AdminValue[])[]): Buffer {
  return resultBytes(rows(columns, data), true)
}

/** An ERROR the session goes on after. */
export function adminError(code: string, message: string, hint?: string): Buffer {
  return serializeErrorResponse({ severity: 'ERROR', code, message, hint })
}
