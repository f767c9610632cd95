/**
 * The background watch on one server of a pool: a connection of its own, outside pool_size and logged
 * in as the pool's connections are, runs {@link READING_SQL} every `intervalMs`. Each answer is
 * recorded in the pool's {@link ServerHealth} (role: `pg_is_in_recovery()`) and kept as the server's
 * {@link ReplicationReading} (WAL position, lag, time), which the router reads to pick a fresh enough
 * replica; the same connection carries the primary's {@link CommitLsn} queries.
 *
 * A failed connect, an error reply or no reply within `timeoutMs` (healthcheck_timeout) bans the
 * server; a timed-out connection is closed, and a lost one is opened again at the next interval. The
 * last good reading is kept after a failure (the router skips a banned server anyway, and a dead
 * primary's last LSN is still the most any standby can have to catch up to).
 *
 * States: `waiting` (for the next interval; with or without a connection) → `connecting` → `reading`
 * → `waiting`; `closed` from any. Timers and the connection are unref'd: the monitor never keeps a
 * process alive by itself (a connect under way does, up to connect_timeout).
 * @module
 */
import { asGatewayError, type GatewayError } from '../errors.js'
import { log } from '../log.js'
import { CommitLsn } from './commit-lsn.js'
import { InternalRowsQuery, type TextRows } from './internal-query.js'
import { boundLag, parseReading, READING_SQL, type ReplicationReading } from './replication-reading.js'
import type { ReplySink } from './reply-route.js'
import type { ServerAddress, ServerLogin } from './server-address.js'
import type { ServerConnection } from './server-conn.js'
import type { ServerConnector } from './server-connector.js'
import type { ServerHealth } from './server-health.js'

export type { ReplicationReading } from './replication-reading.js'

/** Timings of a monitor (ms). */
export interface ServerMonitorOptions {
  /** Between the starts of two readings. */
  intervalMs: number
  /** A reading (or a commit-LSN query) may take this long before the server counts as failed. */
  timeoutMs: number
}

type State = 'waiting' | 'connecting' | 'reading' | 'closed'

/** Readings of one server, on a connection of their own. */
export class ServerMonitor implements ReplySink {
  readonly internal = true
  /** The last successful reading, if any. */
  reading?: ReplicationReading
  /** The primary's commit LSN for read-your-writes, on this monitor's connection. */
  readonly commitLsn: CommitLsn
  readonly counters = { readings: 0, failures: 0, connects: 0, skipped: 0 }
  private state: State = 'waiting'
  private link?: ServerConnection
  private interval?: NodeJS.Timeout
  /** When a reading last found this standby caught up with what it received (see boundLag). */
  private caughtUpAt?: number

  constructor(
    /** The pool and server, for logs (`db/user -> host:port/db (...)`). */
    readonly name: string,
    private readonly address: ServerAddress,
    private readonly login: ServerLogin,
    private readonly connector: ServerConnector,
    private readonly health: ServerHealth,
    readonly options: ServerMonitorOptions,
  ) {
    this.commitLsn = new CommitLsn(() => this.connection, options.timeoutMs)
  }

  /** The open connection, if any (the commit-LSN queries use it). */
  get connection(): ServerConnection | undefined {
    return this.link !== undefined && !this.link.closed ? this.link : undefined
  }

  /** The last reading's LSN: replay LSN on a standby, insert LSN on a primary. */
  get lsn(): bigint | undefined {
    return this.reading?.lsn
  }

  /** The last reading's lag in ms (0 on a primary; undefined when unknown). */
  get lagMs(): number | undefined {
    return this.reading?.lagMs
  }

  /** When the last good reading came (ms since the epoch; 0: none yet). */
  get readAt(): number {
    return this.reading?.at ?? 0
  }

  /** Takes the first reading now, then one every interval. */
  start(): void {
    if (this.interval !== undefined || this.state === 'closed') return
    this.interval = setInterval(() => this.tick(), this.options.intervalMs)
    this.interval.unref()
    this.tick()
  }

  /** Stops for good and closes the connection; a reading under way is dropped unrecorded. */
  close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearInterval(this.interval)
    const link = this.link
    this.link = undefined
    link?.close()
  }

  /** One interval: read, connecting first if need be; skipped while the last one is still under way. */
  private tick(): void {
    if (this.state === 'closed') return
    if (this.state !== 'waiting') {
      this.counters.skipped++
      return
    }
    if (this.connection === undefined) this.connect()
    else this.read(this.connection)
  }

  private connect(): void {
    this.state = 'connecting'
    this.connector.connect(this.address, this.login).then(
      (server) => this.opened(server),
      (err: unknown) => this.connectFailed(asGatewayError(err, 'SERVER_UNAVAILABLE')),
    )
  }

  private opened(server: ServerConnection): void {
    if (this.state === 'closed') return server.close()
    this.link = server
    server.owner = this // hears of the connection's loss, and of what the server says outside a query
    server.unref()
    this.counters.connects++
    log.debug('server monitor connected', { server: this.name, pid: server.processId })
    this.read(server)
  }

  private connectFailed(error: GatewayError): void {
    if (this.state === 'closed') return
    this.state = 'waiting'
    this.failed(`connect failed: ${error.message}`)
  }

  /** Sends one reading; its outcome is recorded once, whichever comes first: reply, loss, timeout. */
  private read(server: ServerConnection): void {
    this.state = 'reading'
    const sentAt = Date.now()
    let finished = false
    const finish = (error: string | undefined, rows: TextRows) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      if (this.state === 'closed') return
      this.state = 'waiting'
      if (error !== undefined) return this.failed(error)
      this.record(rows, sentAt)
    }
    const timer = setTimeout(() => {
      finish(`no reply within healthcheck_timeout (${this.options.timeoutMs} ms)`, [])
      server.close() // a late reply could not be told from the next query's
    }, this.options.timeoutMs)
    timer.unref()
    server.sendInternal(new InternalRowsQuery(finish), [READING_SQL])
  }

  /** A reply: recorded in the health (role) and as the reading (LSN, lag). */
  private record(rows: TextRows, sentAt: number): void {
    const parsed = parseReading(rows)
    if (typeof parsed === 'string') return this.failed(parsed)
    const at = Date.now()
    const { inRecovery, lsn } = parsed
    const lagMs = inRecovery ? this.standbyLag(parsed.serverLagMs, sentAt, at) : 0
    if (!inRecovery) this.caughtUpAt = undefined
    this.reading = { inRecovery, lsn, lagMs, at }
    this.counters.readings++
    this.health.recordCheck({ ok: true, inRecovery }, at)
  }

  /** A standby's lag, bounded by the time since it was last seen caught up (which this updates). */
  private standbyLag(serverLagMs: number | undefined, sentAt: number, at: number): number | undefined {
    // Sent, not received: the standby was caught up at some moment in between, and the earlier the
    // moment assumed, the larger (the safer) the lags bounded by it.
    if (serverLagMs === 0) this.caughtUpAt = sentAt
    return boundLag(serverLagMs, this.caughtUpAt, at)
  }

  private failed(reason: string): void {
    this.counters.failures++
    log.debug('server monitor reading failed', { server: this.name, reason })
    this.health.recordCheck({ ok: false, reason }, Date.now())
  }

  onServerData(): void {} // a notice, or the FATAL error before a terminated backend's close

  onReadyForQuery(): void {}

  onParameterStatus(): void {}

  /** The connection broke: a reading under way fails by its own sink; the next interval reconnects. */
  onServerLost(error: GatewayError): void {
    this.link = undefined
    // Whether the standby stayed caught up while unwatched, or is even the same server, is unknown.
    this.caughtUpAt = undefined
    if (this.state !== 'closed')
      log.info('server monitor lost its connection', { server: this.name, error: error.message })
  }
}
