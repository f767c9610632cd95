/**
 * Read-your-writes: after a client's write commits on the primary, the primary's WAL position, which a
 * standby must have replayed before it may serve that client's reads (see `replayedUpTo` in lsn.ts).
 *
 * Requests coalesce: one `SELECT pg_catalog.pg_current_wal_insert_lsn()` answers every request made
 * before it was sent, since each of their commits had returned (its record inserted) by then. A
 * request made while a query is in flight waits for the next one: its commit may have finished after
 * that query ran. At most one query is in flight; the next is sent when it is answered, carrying
 * every request that came meanwhile, so under load the primary sees one query per round trip however
 * many clients commit.
 *
 * It rides the server monitor's connection (see server-monitor.ts): one connection per server outside
 * pool_size serves both, a pooled connection is never taken from a client for it, and its loss is
 * seen and repaired in one place. Its queries take microseconds, so sharing delays neither side.
 *
 * The insert LSN and not `pg_current_wal_lsn()`: with `synchronous_commit = off` a commit returns
 * before its record is written, and the write LSN can stay behind it.
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-BACKUP-TABLE
 * @see https://www.postgresql.org/docs/current/wal-async-commit.html
 * @module
 */
import { log } from '../log.js'
import { InternalRowsQuery, type TextRows } from './internal-query.js'
import { parseLsn } from './lsn.js'
import type { ServerConnection } from './server-conn.js'

/** The commit-LSN query. */
export const COMMIT_LSN_SQL = 'SELECT pg_catalog.pg_current_wal_insert_lsn()'

/**
 * Receives the primary's insert LSN after the request, or undefined when it could not be had (no
 * connection, an error, the server is a standby, no answer within the timeout): the caller then sends
 * the client's reads to the primary.
 */
export type CommitLsnCallback = (lsn: bigint | undefined) => void

/** Coalesced commit-LSN queries on one server connection. */
export class CommitLsn {
  /** Requests made since the query in flight (if any) was sent. */
  private waiting: CommitLsnCallback[] = []
  private inFlight = false
  readonly counters = { requests: 0, queries: 0, failures: 0 }

  constructor(
    /** The server connection to ask on, if one is open now. */
    private readonly connection: () => ServerConnection | undefined,
    /** ms a query may take before the connection is closed and its requests get undefined. */
    private readonly timeoutMs: number,
  ) {}

  /**
   * Asks for the primary's insert LSN as of now; `cb` is called once, asynchronously when a query
   * runs, at once (undefined) when no connection is open.
   */
  request(cb: CommitLsnCallback): void {
    this.counters.requests++
    this.waiting.push(cb)
    if (!this.inFlight) this.send()
  }

  /** Requests waiting for a query not yet sent. */
  get pending(): number {
    return this.waiting.length
  }

  /** Sends one query for every request waiting. */
  private send(): void {
    const batch = this.waiting
    this.waiting = []
    const server = this.connection()
    if (server === undefined || server.closed) return this.deliver(batch, undefined)
    this.inFlight = true
    this.counters.queries++
    let finished = false
    const finish = (lsn: bigint | undefined) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      this.inFlight = false
      this.deliver(batch, lsn)
      if (this.waiting.length > 0 && !this.inFlight) this.send()
    }
    const timer = setTimeout(() => {
      finish(undefined)
      server.close() // a late reply could not be told from the next query's
    }, this.timeoutMs)
    timer.unref()
    const query = new InternalRowsQuery((error, rows) =>
      finish(error === undefined ? lsnOf(rows) : undefined),
    )
    server.sendInternal(query, [COMMIT_LSN_SQL])
  }

  private deliver(batch: readonly CommitLsnCallback[], lsn: bigint | undefined): void {
    if (lsn === undefined) this.counters.failures++
    for (const cb of batch) {
      try {
        cb(lsn)
      } catch (error) {
        log.error('a commit LSN callback threw', { error: String(error) })
      }
    }
  }
}

/** The LSN of the query's one row and column. */
function lsnOf(rows: TextRows): bigint | undefined {
  const text = rows.length === 1 && rows[0]!.length === 1 ? rows[0]![0] : undefined
  return typeof text === 'string' ? parseLsn(text) : undefined
}
