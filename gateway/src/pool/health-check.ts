/**
 * The health check: one query on an idle server connection that proves the server answers and says
 * whether it is a primary or a standby, bounded by healthcheck_timeout.
 *
 * PgCat sends a bare `;` (an empty query): it proves liveness and nothing else. Skiff asks
 * `pg_is_in_recovery()` in the same round trip, so primary detection costs no extra query: after a
 * failover the check finds the promoted server answering `f` and the demoted one `t`, and a write is
 * never sent to a server in recovery on the word of the config alone. It reads no table and takes no
 * lock, so it runs on a hot standby and costs about what `;` does; the schema is spelled out so no
 * function of the same name on the search_path can answer instead.
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE
 * @module
 */
import { BackendCode, TxnStatus } from '../protocol/codes.js'
import { InternalQuery } from './internal-query.js'
import type { ServerConnection } from './server-conn.js'
import type { HealthCheckResult } from './server-health.js'

export type { HealthCheckResult } from './server-health.js'

/** The health check's statement. */
export const HEALTH_CHECK_SQL = 'SELECT pg_catalog.pg_is_in_recovery()'

/** Reads the check's one DataRow (one boolean column in text form); reports at its ReadyForQuery. */
export class HealthCheckQuery extends InternalQuery {
  private value?: boolean
  private malformed = false

  constructor(onResult: (result: HealthCheckResult) => void) {
    super((error) => {
      if (error !== undefined) onResult({ ok: false, reason: error })
      else if (this.malformed || this.value === undefined)
        onResult({ ok: false, reason: 'malformed reply to the health check' })
      else onResult({ ok: true, inRecovery: this.value })
    })
  }

  override onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1)) {
      if (buf[at] === BackendCode.DataRow) this.row(buf, at)
    }
    super.onServerData(buf, start, end)
  }

  /** DataRow: int16 column count, then int32 length and the bytes of each column: `t` or `f`. */
  private row(buf: Buffer, at: number): void {
    const length = buf.readUInt16BE(at + 5) === 1 ? buf.readInt32BE(at + 7) : -1
    const text = length === 1 ? String.fromCharCode(buf[at + 11]!) : ''
    if (this.value !== undefined || (text !== 't' && text !== 'f')) this.malformed = true
    else this.value = text === 't'
  }
}

/**
 * Checks `server`, which must be idle (at ReadyForQuery, no transaction, nothing pending, not lent):
 * `done` is called once, with the server's recovery state, or with a failure when the query fails, the
 * connection is lost, or no answer comes within `timeoutMs` (then the connection is closed, since a
 * reply may still come and nothing could tell it from the next client's). On success the connection
 * is idle again and may be lent; on a failure other than the timeout it is left as it is (usually
 * already closed) for the caller to discard.
 */
export function checkServer(
  server: ServerConnection,
  timeoutMs: number,
  done: (result: HealthCheckResult) => void,
): void {
  const unfit = unfitForCheck(server)
  if (unfit !== undefined) return done({ ok: false, reason: unfit })
  let finished = false
  const finish = (result: HealthCheckResult) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    done(result)
  }
  const timer = setTimeout(() => {
    finish({ ok: false, reason: `no reply within healthcheck_timeout (${timeoutMs} ms)` })
    server.close()
  }, timeoutMs) // not unref'd: short, and cleared when the check ends (a pool's close ends it)
  server.sendInternal(new HealthCheckQuery(finish), [HEALTH_CHECK_SQL])
}

/** Why `server` cannot be checked now, or undefined when it can. */
function unfitForCheck(server: ServerConnection): string | undefined {
  if (server.closed) return 'the connection is closed'
  if (server.owner !== undefined) return 'the connection is lent to a client'
  if (server.syncState !== 'ready' || server.txnStatus !== TxnStatus.Idle) return 'the connection is not idle'
  return undefined
}
