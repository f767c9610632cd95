/**
 * The connections to one server for one (database, user) pool: idle stack, size limits, a bounded
 * checkout queue, cleanup at check-in, idle and lifetime expiry.
 * @module
 */
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { TxnStatus } from '../protocol/codes.js'
import { PoolCounters } from '../stats/counters.js'
import {
  CheckoutQueue,
  type CheckoutWaiter,
  type ConnectionStartup,
  takeIdle,
  type Waiter,
} from './checkout-queue.js'
import { Cleanup } from './cleanup-state.js'
import type { CommitLsn } from './commit-lsn.js'
import { type BudgetMember, BudgetShares, type ConnectionBudget } from './connection-budget.js'
import { type CheckinKind, drainSink, resetCommandsAtCheckin } from './connection-recovery.js'
import { checkServer } from './health-check.js'
import { InternalQuery } from './internal-query.js'
import { describeAddress, type ServerAddress, type ServerLogin } from './server-address.js'
import type { ServerConnection } from './server-conn.js'
import { defaultConnector, type ServerConnector } from './server-connector.js'
import { ServerHealth } from './server-health.js'
import { ServerMonitor } from './server-monitor.js'
import type { ServerPoolSettings } from './server-pool-settings.js'
import { StatementCache } from './statement-cache.js'

/** Connections to one server address for one pool. */
export class ServerPool implements BudgetMember {
  readonly idle: ServerConnection[] = []
  readonly all = new Set<ServerConnection>()
  private connecting = 0
  private readonly waiters: CheckoutQueue
  /** Checkouts, waits and the traffic of connections already closed (see totals()). */
  readonly stats = new PoolCounters()
  /** Parameters of the newest server connection, reported to clients at login. */
  serverParams?: Map<string, string>
  closed = false
  /**
   * PAUSE (admin console): checkouts are held here, in arrival order, without a timeout, until RESUME.
   * Undefined when not paused, so the hot path tests one field.
   */
  private held?: Waiter[]
  /**
   * A reload removed or replaced this pool: connections still lent finish their transactions, go to
   * whoever already waited, and are closed at check-in instead of going idle.
   */
  private retiring = false
  /** max_db_connections / max_user_connections shared with other pools (connection-budget.ts). */
  private readonly budgets = new BudgetShares(this)
  /** Bans and last known role of this pool's server (read by the router; see health-candidates.ts). */
  readonly health: ServerHealth
  /**
   * The server's background monitor, when `monitorInterval` is set: its last reading (`reading`,
   * `lsn`, `lagMs`, `readAt`) and the commit-LSN queries that ride its connection. Started with the
   * pool, closed with it.
   */
  readonly monitor?: ServerMonitor

  constructor(
    readonly name: string,
    readonly address: ServerAddress,
    readonly login: ServerLogin,
    readonly settings: ServerPoolSettings,
    /** How connections are opened and logged in (TCP; in-memory in tests); the pool's listener uses it too. */
    readonly connector: ServerConnector = defaultConnector,
  ) {
    this.health = new ServerHealth(this.toString(), settings.banTime ?? 0)
    if (settings.monitorInterval !== undefined) {
      const timings = { intervalMs: settings.monitorInterval, timeoutMs: settings.healthcheckTimeout ?? 1000 }
      // Started by maintain(): a pool built and never served (a config check, a unit test) connects nowhere.
      this.monitor = new ServerMonitor(this.toString(), address, login, connector, this.health, timings)
    }
    const expire = (w: Waiter) => {
      this.stats.checkoutErrors++
      w.waiter.onCheckoutError(this.waitTimeoutError())
    }
    this.waiters = new CheckoutQueue(settings.queryWaitTimeout, expire, settings.queryWaitNotify)
  }

  /** Connections lent or being waited for: load_balancing_mode = "loc" picks the server with fewest. */
  get outstanding(): number {
    return this.all.size - this.idle.length + this.waiters.length
  }

  /**
   * Lends a connection: at once when one is idle, else after a connect or a check-in. `counted`: a
   * client's checkout (statistics); the gateway's own (learning server parameters) is not.
   */
  checkout(waiter: CheckoutWaiter, counted = true, startup?: ConnectionStartup, since?: number): void {
    const now = Date.now()
    if (this.held !== undefined) {
      this.held.push({ waiter, since: since ?? now, counted, startup })
      return
    }
    const key = startup?.key ?? ''
    for (let server = takeIdle(this.idle, key); server !== undefined; server = takeIdle(this.idle, key)) {
      if (now - server.createdAt > this.settings.serverLifetime) {
        server.close() // past server_lifetime: never lend it again
        continue
      }
      if (!this.healthCheckDue(server, now)) {
        if (counted) this.stats.recordCheckout(since === undefined ? 0 : (now - since) * 1000)
        return waiter.onCheckout(server)
      }
      // The waiter queues like any other; the connection reaches it through reuse() if it passes.
      this.waiters.push({ waiter, since: since ?? now, counted, startup })
      return this.healthCheck(server)
    }
    this.waiters.push({ waiter, since: since ?? now, counted, startup })
    if (this.all.size + this.connecting < this.settings.poolSize) this.grow(startup)
    // Full, with an idle connection opened for other startup parameters: it gives way (its close
    // makes room, and the room goes to the waiters).
    else if (this.idle.length > 0)
      this.discard(this.idle[0]!, 'room for a client with other startup parameters')
  }

  /**
   * Read-your-writes on this server while it is a primary: `commitLsn.request(cb)` gives its insert
   * LSN after the caller's commit (see commit-lsn.ts). Undefined without a monitor.
   */
  get commitLsn(): CommitLsn | undefined {
    return this.monitor?.commitLsn
  }

  /** Forgets a waiter whose client went away. */
  cancelCheckout(waiter: CheckoutWaiter): void {
    if (this.held !== undefined) {
      const i = this.held.findIndex((w) => w.waiter === waiter)
      if (i >= 0) this.held.splice(i, 1)
    }
    this.waiters.remove(waiter)
  }

  /**
   * PAUSE: from now on checkouts wait (no timeout) until {@link resume}; connections lent now are
   * not touched, their transactions go on. See {@link quiescent} for when they are all back.
   * @see https://www.pgbouncer.org/usage.html#pause-db
   */
  pause(): void {
    this.held ??= []
  }

  /** RESUME: the held checkouts go on, oldest first (their wait counts from when they asked). */
  resume(): void {
    const held = this.held
    this.held = undefined
    if (held === undefined || this.closed) return
    for (const w of held) this.checkout(w.waiter, w.counted, w.startup, w.since)
  }

  /** Paused now. */
  get paused(): boolean {
    return this.held !== undefined
  }

  /** Clients held by PAUSE (counted as waiting in SHOW POOLS). */
  get heldCount(): number {
    return this.held?.length ?? 0
  }

  /** Nothing lent, nothing queued, nothing connecting for a client: what PAUSE waits for. */
  get quiescent(): boolean {
    return this.waiters.length === 0 && this.connecting === 0 && this.all.size === this.idle.length
  }

  /**
   * A reload replaced or removed this pool: idle connections close now, lent ones at check-in (after
   * serving clients already queued here). The caller closes the pool once {@link drained}.
   */
  retire(): void {
    this.retiring = true
    // Clients held by a PAUSE stay held here until RESUME, which reaches retired pools too.
    for (const server of [...this.idle]) server.close()
  }

  /** Retired and nothing left open or waiting. */
  get drained(): boolean {
    return this.retiring && this.all.size === 0 && this.connecting === 0 && this.waiting === 0
  }

  /** Traffic of this pool since it started: closed connections' and the open ones' so far. */
  totals(): PoolCounters {
    const sum = new PoolCounters()
    sum.addPool(this.stats)
    for (const server of this.all) {
      sum.add(server.stats)
      sum.prepareCacheHits += server.statements.hits
      sum.prepareCacheMisses += server.statements.misses
    }
    return sum
  }

  /** Connections being opened and logged in (SHOW POOLS sv_login). */
  get loggingIn(): number {
    return this.connecting
  }

  /** Number of clients waiting for a connection (cl_waiting), held by PAUSE included. */
  get waiting(): number {
    return this.waiters.length + this.heldCount
  }

  /** Longest current wait in ms (maxwait). */
  maxWait(now = Date.now()): number {
    const oldest = Math.min(this.waiters.at(0)?.since ?? now, this.held?.[0]?.since ?? now)
    return now - oldest
  }

  /**
   * Takes a connection back and computes what clears what its client left behind: in transaction
   * mode the commands for the state its traffic showed (cleanup-state.ts), at the end of a session
   * server_reset_query. A connection is lent again only at ReadyForQuery, idle, with nothing pending:
   * one left inside a transaction is rolled back, one left in the middle of an extended-protocol batch
   * is synced and rolled back (never committed), and one still running a query, or whose replies the
   * gateway lost count of, is closed. It is reused only after those commands succeed.
   */
  checkin(server: ServerConnection, ended: CheckinKind, timer?: NodeJS.Timeout): void {
    if (server.closed) return clearTimeout(timer)
    if (server.cleanup & Cleanup.Discard) return this.discard(server, 'it holds state no reset can clear')
    if (ended === 'session' && this.settings.sessionReuse === false)
      return this.discard(server, 'its session ended (session_server_reuse = false)')
    const state = server.syncState
    if (state === 'desynced') return this.discard(server, 'its replies could no longer be counted')
    if (state === 'busy') {
      // The client left while the server still owed it replies: read them into nothing, then again.
      const bound = timer ?? this.recoveryTimer(server)
      // Go on once the replies are drained and the cancel, if any, has landed.
      let waiting = 2
      const step = () => {
        if (--waiting === 0) this.checkin(server, ended, bound)
      }
      return server.abandon(drainSink(step, bound), step)
    }
    const recovering = state !== 'ready'
    const reset = resetCommandsAtCheckin(server, ended, this.settings.serverResetQuery)
    // A ROLLBACK aborts an explicit transaction and the implicit one of an unsynced batch alike.
    const commands = recovering || server.txnStatus !== TxnStatus.Idle ? ['ROLLBACK', ...reset] : reset
    if (commands.length === 0) {
      clearTimeout(timer)
      return this.reuse(server)
    }
    server.cleanup = 0
    const bound = timer ?? (recovering ? this.recoveryTimer(server) : undefined)
    server.sendInternal(
      new InternalQuery((error) => {
        clearTimeout(bound)
        if (error !== undefined) this.discard(server, `cleanup failed: ${error}`)
        else if (server.syncState !== 'ready' || server.txnStatus !== TxnStatus.Idle)
          this.discard(server, 'still in a transaction after cleanup')
        else this.reuse(server)
      }),
      commands,
      state === 'skip-to-sync',
    )
  }

  /** Bounds the recovery of a connection its client left: if it does not end in time, close it. */
  private recoveryTimer(server: ServerConnection): NodeJS.Timeout {
    const ms = this.settings.recoveryTimeout
    const timer = setTimeout(() => this.discard(server, `not idle ${ms} ms after recovery began`), ms)
    timer.unref()
    return timer
  }

  /** Whether `server` must pass a health check before it is lent (healthcheck_delay, a lifted ban). */
  private healthCheckDue(server: ServerConnection, now: number): boolean {
    const delay = this.settings.healthcheckDelay
    if (delay === undefined) return false
    return this.health.checkOwed || now - server.idleSince > delay
  }

  /**
   * Checks an idle connection before lending it: if it passes it goes to the first waiter for it (or
   * back to idle); if not, the server is banned and the connection closed, and its closing opens a
   * new one for the waiters, whose connect fails fast if the server is really down.
   */
  private healthCheck(server: ServerConnection): void {
    checkServer(server, this.settings.healthcheckTimeout ?? 1000, (result) => {
      if (this.closed) return server.close() // shutting down: not the server's fault
      this.health.recordCheck(result)
      if (result.ok) this.reuse(server)
      else this.discard(server, `health check failed: ${result.reason}`)
    })
  }

  /** Closes a connection that must not be reused. */
  discard(server: ServerConnection, why: string): void {
    log.debug('closing server connection', { server: server.id, why })
    server.close()
  }

  private reuse(server: ServerConnection): void {
    if (this.closed || Date.now() - server.createdAt > this.settings.serverLifetime) return server.close()
    // Never lend a connection that is not at ReadyForQuery, idle, with nothing pending.
    if (server.syncState !== 'ready' || server.txnStatus !== TxnStatus.Idle)
      return this.discard(server, 'not idle when it was to be lent')
    const next = this.waiters.takeFor(server.startupKey)
    if (next !== undefined) {
      if (next.counted) this.stats.recordCheckout((Date.now() - next.since) * 1000)
      return next.waiter.onCheckout(server)
    }
    // Clients wait for a connection opened with other startup parameters: this one makes room.
    if (this.waiters.length > 0)
      return this.discard(server, 'room for a client with other startup parameters')
    if (this.retiring) return this.discard(server, 'its pool was replaced by a reload')
    if (this.budgets.giveWay())
      return this.discard(server, 'room for another pool under max_db_connections/max_user_connections')
    server.idleSince = Date.now()
    this.idle.push(server)
  }

  /** Shares max_db_connections / max_user_connections with the other pools of these budgets. */
  shareBudgets(budgets: readonly ConnectionBudget[]): void {
    this.budgets.join(budgets)
  }

  evictIdle(): boolean {
    const server = this.idle[0]
    if (server === undefined) return false
    this.discard(server, 'room for another pool under max_db_connections/max_user_connections')
    return true
  }

  wake(): void {
    if (!this.closed) this.growForWaiters()
  }

  /** Opens a connection unless a shared budget is full (then room is asked for); false when it did not. */
  private grow(startup?: ConnectionStartup): boolean {
    if (!this.budgets.take()) return false
    this.connecting++
    const login = startup === undefined ? this.login : { ...this.login, clientParams: startup.params }
    this.connector.connect(this.address, login).then(
      (server) => this.added(server, startup?.key ?? ''),
      (error: GatewayError) => this.connectFailed(error, startup?.key ?? ''),
    )
    return true
  }

  private added(server: ServerConnection, key: string): void {
    this.connecting--
    server.startupKey = key
    this.all.add(server)
    server.statements = new StatementCache(this.settings.preparedStatementsCacheSize)
    this.serverParams = new Map(server.params) // the newest server's, so logins see current values
    server.setCloseHandler((s) => this.removed(s))
    this.reuse(server)
  }

  private connectFailed(error: GatewayError, key: string): void {
    this.connecting--
    this.budgets.release()
    // A refusal of a client's own startup parameters is that client's error, not the server's health.
    if (error.code !== 'SERVER_REFUSED') {
      log.warn('server connection failed', { pool: this.name, error: error.message })
      this.health.ban(`connect failed: ${error.message}`)
    }
    const failed = this.waiters.takeFor(key)
    if (failed !== undefined) {
      this.stats.checkoutErrors++
      failed.waiter.onCheckoutError(this.named(error))
    }
    this.growForWaiters()
  }

  /** A server's failure as the client sees it: which pool it was, since a server may serve several. */
  private named(error: GatewayError): GatewayError {
    if (error.code !== 'SERVER_UNAVAILABLE') return error
    const { detail, hint, severity } = error
    return new GatewayError(error.code, `pool ${this.name}: ${error.message}`, { detail, hint, severity })
  }

  private removed(server: ServerConnection): void {
    this.all.delete(server)
    this.budgets.release()
    this.stats.add(server.stats)
    this.stats.prepareCacheHits += server.statements.hits
    this.stats.prepareCacheMisses += server.statements.misses
    const i = this.idle.indexOf(server)
    if (i >= 0) this.idle.splice(i, 1)
    if (!this.closed) this.growForWaiters()
  }

  /** Opens connections for waiters no connection under way will serve (as far as the count tells). */
  private growForWaiters(): void {
    const room = this.settings.poolSize - this.all.size - this.connecting
    if (this.waiters.length > this.connecting && room > 0)
      this.grow(this.waiters.at(this.connecting)?.startup)
  }

  private waitTimeoutError(): GatewayError {
    const s = this.settings
    return new GatewayError(
      'POOL_TIMEOUT',
      `no server connection became free within query_wait_timeout (${s.queryWaitTimeout} ms) in pool ${this.name} (pool_size = ${s.poolSize})`,
      {
        hint: 'raise pool_size or query_wait_timeout, or shorten the transactions that hold connections',
      },
    )
  }

  /** Periodic upkeep: expire idle and old connections, keep min_pool_size open. */
  maintain(now = Date.now()): void {
    const { idleTimeout, serverLifetime, minPoolSize } = this.settings
    if (!this.closed) this.monitor?.start()
    for (const server of [...this.idle]) {
      const tooOld = now - server.createdAt > serverLifetime
      const idleTooLong =
        idleTimeout > 0 && now - server.idleSince > idleTimeout && this.all.size > minPoolSize
      if (tooOld || idleTooLong) server.close()
    }
    while (!this.closed && !this.retiring && this.all.size + this.connecting < minPoolSize)
      if (!this.grow()) break
  }

  /** Connects one server if none is known yet, so clients can be told its parameters at login. */
  ensureServerParams(callback: (error?: GatewayError) => void): void {
    if (this.serverParams !== undefined) return callback()
    const waiter: CheckoutWaiter = {
      onCheckout: (server) => {
        this.reuse(server)
        callback()
      },
      onCheckoutError: (error) => callback(error),
    }
    this.checkout(waiter, false)
  }

  /** Closes everything (shutdown or removal from config). */
  close(): void {
    this.closed = true
    this.budgets.leave()
    this.monitor?.close()
    for (const w of [...this.waiters.clear(), ...(this.held?.splice(0) ?? [])]) {
      w.waiter.onCheckoutError(
        new GatewayError('SHUTTING_DOWN', `pool ${this.name} is shutting down`, { severity: 'FATAL' }),
      )
    }
    for (const server of [...this.all]) server.close()
  }

  toString(): string {
    return `${this.name} -> ${describeAddress(this.address)}`
  }
}

export type { CheckoutWaiter, ConnectionStartup } from './checkout-queue.js'
export type { CheckinKind } from './connection-recovery.js'
export type { ServerPoolSettings } from './server-pool-settings.js'
