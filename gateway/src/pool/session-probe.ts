/**
 * The gateway's question to a server after a transaction that may have changed session state: which
 * run-time parameters now hold a session-level value (so they can follow the client to its next server
 * connection), and whether the connection holds state that lives only there (so the client keeps it).
 *
 * Asking the server instead of parsing the client's SQL is exact where parsing cannot be: a SET rolled
 * back with its transaction, a `set_config()` with computed arguments, a SET LOCAL that ended, a temp
 * table created and dropped in one transaction, all come out as Postgres sees them.
 * @see https://www.postgresql.org/docs/current/view-pg-settings.html (source = 'session')
 * @module
 */
import { BackendCode } from '../protocol/codes.js'
import { quoteLiteral } from '../util/quote-literal.js'
import { InternalQuery } from './internal-query.js'

/** Bits of the state that pins a client to its server connection. */
export const SessionState = {
  TempTables: 1,
  AdvisoryLocks: 2,
  HeldCursors: 4,
  SqlPrepared: 8,
  Listening: 16,
  SessionAuthorization: 32,
} as const

/** Names of the SessionState bits, for logs. */
export function describeSessionState(state: number): string[] {
  return Object.entries(SessionState)
    .filter(([, bit]) => state & bit)
    .map(([name]) => name)
}

/** What the probe found. */
export interface ProbeResult {
  /** Parameters with a session-level value (lower-cased name → value in the server's own form). */
  settings: Map<string, string>
  /** SessionState bits. */
  state: number
}

/**
 * The probe, one statement: a row per session-level setting, one row (NULL name) with the state bits,
 * and a row per custom setting of `customNames` that has a value. `loginUser` is the role the gateway
 * logs in as: a session authorization other than it pins.
 */
export function probeSql(loginUser: string, customNames: ReadonlySet<string> = new Set()): string {
  const user = quoteLiteral(loginUser)
  // role is left out of pg_settings (GUC_NO_SHOW_ALL): asked for by name.
  return `SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session' UNION ALL SELECT 'role', pg_catalog.current_setting('role') WHERE pg_catalog.current_setting('role') <> 'none' UNION ALL SELECT NULL, (
CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace = pg_catalog.pg_my_temp_schema()) THEN 1 ELSE 0 END +
CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()) THEN 2 ELSE 0 END +
CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_cursors) THEN 4 ELSE 0 END +
CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE from_sql) THEN 8 ELSE 0 END +
CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_listening_channels()) THEN 16 ELSE 0 END +
CASE WHEN session_user <> ${user} THEN 32 ELSE 0 END)::text${customClause(customNames)}`
}

/**
 * Custom settings (placeholders, which pg_settings leaves out) the client named: those with a value.
 * A placeholder reset, or set only for a transaction, reads as '' afterwards.
 */
function customClause(names: ReadonlySet<string>): string {
  if (names.size === 0) return ''
  const list = [...names].map(quoteLiteral).join(', ')
  return ` UNION ALL SELECT n, v FROM (SELECT n, pg_catalog.current_setting(n, true) AS v FROM pg_catalog.unnest(ARRAY[${list}]::text[]) AS n) c WHERE v <> ''`
}

/** Runs the probe's replies through: collects its rows, reports once at its ReadyForQuery. */
export class SessionProbe extends InternalQuery {
  private readonly settings = new Map<string, string>()
  private state = 0
  private failed = false

  constructor(onResult: (result: ProbeResult | undefined, error?: string) => void) {
    super((error) => {
      if (error !== undefined || this.failed) onResult(undefined, error ?? 'malformed probe reply')
      else onResult({ settings: this.settings, state: this.state })
    })
  }

  override onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1)) {
      if (buf[at] === BackendCode.DataRow) this.row(buf, at)
    }
    super.onServerData(buf, start, end)
  }

  /** One DataRow of two text columns: (name, setting), or (NULL, state bits). */
  private row(buf: Buffer, at: number): void {
    if (buf.readUInt16BE(at + 5) !== 2) {
      this.failed = true
      return
    }
    let p = at + 7
    const nameLength = buf.readInt32BE(p)
    p += 4
    const name = nameLength < 0 ? undefined : buf.toString('utf8', p, p + nameLength)
    if (nameLength > 0) p += nameLength
    const valueLength = buf.readInt32BE(p)
    p += 4
    const value = valueLength < 0 ? '' : buf.toString('utf8', p, p + valueLength)
    if (name === undefined) this.state = Number.parseInt(value, 10) || 0
    else this.settings.set(name.toLowerCase(), value)
  }
}
