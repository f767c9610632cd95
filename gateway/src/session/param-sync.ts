/**
 * Keeps a client's view of run-time parameters true while its transactions hop between server
 * connections: parameters a client chose (at startup or with SET) are re-applied on each server it
 * lands on, and any other reported value that differs is sent to it as ParameterStatus, as Postgres
 * would have done had it changed.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC (ParameterStatus)
 * @module
 */
import { serializeParameterStatus } from '../protocol/backend.js'

/**
 * Parameters a client may set at startup and keeps across server connections (PgBouncer's
 * "track_extra_parameters" defaults). All are GUC_REPORT, so a server always tells us its value.
 */
export const TRACKED_PARAMETERS: ReadonlySet<string> = new Set([
  'application_name',
  'client_encoding',
  'DateStyle',
  'IntervalStyle',
  'TimeZone',
  'standard_conforming_strings',
])

/** Startup parameters accepted but not applied, because a pooled server cannot honour them per client. */
export const IGNORED_STARTUP_PARAMETERS: ReadonlySet<string> = new Set(['extra_float_digits'])

/** What must happen on a server before a client's messages run there. */
export interface ParamSyncPlan {
  /** `SET` commands that bring the server to the client's values. */
  sets: string[]
  /** ParameterStatus messages to send the client before its replies. */
  notices?: Buffer
}

/** Quotes a value as an SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** Compares a client's parameters with a server's and says what to SET and what to report. */
export function planParamSync(client: Map<string, string>, server: Map<string, string>): ParamSyncPlan {
  const sets: string[] = []
  const notices: Buffer[] = []
  for (const [name, value] of server) {
    const want = client.get(name)
    if (want === value) continue
    if (TRACKED_PARAMETERS.has(name) && want !== undefined) {
      sets.push(`SET ${name} = ${quoteLiteral(want)}`)
    } else {
      client.set(name, value)
      notices.push(serializeParameterStatus(name, value))
    }
  }
  return { sets, notices: notices.length > 0 ? Buffer.concat(notices) : undefined }
}

/** Normalizes the spellings of client_encoding Postgres treats as one, so we do not SET needlessly. */
export function normalizeStartupValue(name: string, value: string): string {
  if (name !== 'client_encoding') return value
  const upper = value.toUpperCase().replaceAll('-', '')
  return upper === 'UTF8' || upper === 'UNICODE' ? 'UTF8' : value
}
