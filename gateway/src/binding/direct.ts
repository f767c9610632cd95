/**
 * The Direct binding: one server connection lent to a client, from the first message of a transaction
 * (session mode: of the session) to its end. It queues the client's messages while a checkout is under
 * way, forwards them as they are, hands replies back, and returns the connection to its pool, which
 * cleans what the client left. Replies reach it from the server connection's reply FIFO, which stays
 * the one place replies are dispatched.
 * @module
 */
import type { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { ReplySink } from '../pool/reply-route.js'
import type { Outgoing, ServerConnection } from '../pool/server-conn.js'
import type { CheckinKind, CheckoutWaiter, ServerPool } from '../pool/server-pool.js'
import type { StatementCache } from '../pool/statement-cache.js'
import { serializeNoticeResponse } from '../protocol/backend.js'
import { TxnStatus } from '../protocol/codes.js'
import { SqlState } from '../protocol/sqlstate.js'
import { micros } from '../stats/counters.js'
import type { Binding, BindingClient } from './binding.js'
import { ReadRetry } from './read-retry.js'

/** A client as the Direct binding sees it: told when a server joins or leaves it. */
export interface DirectClient extends BindingClient {
  /** A server was lent: bring it to the client's parameters before its messages run there. */
  onAttached(server: ServerConnection): void
  /** The server goes back to its pool. */
  onDetached(server: ServerConnection): void
}

/**
 * Messages that must be rewritten for the server they land on (transaction-mode prepared statements,
 * see session/statement-rewriter.ts); the binding asks for them once it has its server.
 */
export interface MessageSource {
  readonly hasItems: boolean
  /** A run of messages that need no rewriting, if that is all there is. */
  takeRun(): Buffer | undefined
  /** The same run, left in place. */
  peekRun(): Buffer | undefined
  /** The messages as they must be sent to a server holding `cache`. */
  materialize(cache: StatementCache, skippingToSync: boolean): Outgoing[]
}

/** One server connection serving one client. */
export class DirectBinding implements Binding, ReplySink, CheckoutWaiter {
  readonly kind = 'direct'
  readonly internal = false
  server?: ServerConnection
  private pool?: ServerPool
  private waiting = false
  private queued: Buffer[] = []
  /** Queries and Syncs among the queued messages: each gets an error if no server can be had. */
  private queuedSyncs = 0
  /** Cleanup flags seen in the client's statements before a server was lent. */
  private pendingCleanup = 0
  private paused = false
  /** performance.now() when the server was lent (for xact time). */
  private lentAt = 0
  private closed = false
  /** The route decision's servers still to try if the current checkout fails (best first). */
  private fallbacks: readonly ServerPool[] = []
  private fallbackAt = 0
  /** A read outside a transaction, sent again to the next candidate if its server dies unheard. */
  private readonly retry = new ReadRetry()
  /** The queued bytes are a retried read's (sent as they are, even with a message source). */
  private resending = false

  constructor(
    private readonly client: DirectClient,
    /** Set in transaction mode with a statement cache: where rewritten messages come from. */
    private readonly source?: MessageSource,
  ) {}

  get busy(): boolean {
    return this.waiting || this.server?.busy === true
  }

  get txnStatus(): number {
    return this.server?.txnStatus ?? TxnStatus.Idle
  }

  /** The pool of the server lent now, if any. */
  get serverPool(): ServerPool | undefined {
    return this.server === undefined ? undefined : this.pool
  }

  /** True while a server is lent or being waited for. */
  get attached(): boolean {
    return this.server !== undefined || this.waiting
  }

  /** Notes state the client's statements leave on the server (cleanup-state.ts flags). */
  addCleanup(flags: number): void {
    if (this.server !== undefined) this.server.cleanup |= flags
    else this.pendingCleanup |= flags
  }

  /**
   * Sends to the lent server, or queues and checks one out of `candidates[0]` (the route decision's
   * first choice); when that checkout fails (the server is down: its pool bans it), the next candidate
   * is tried, so a read finds another replica or the primary before the client sees an error.
   * `bytes` undefined: the message source's messages.
   */
  forward(
    bytes: Buffer | undefined,
    syncs: number,
    candidates?: readonly ServerPool[],
    retryable = false,
  ): void {
    const server = this.server
    if (server !== undefined) {
      this.retry.disarm() // more of the client's messages: the transaction is no longer one read
      return this.sendTo(server, bytes)
    }
    if (retryable && candidates !== undefined && candidates.length > 1) {
      const retryBytes = bytes ?? this.source?.peekRun()
      if (retryBytes !== undefined) this.retry.arm(retryBytes, syncs)
    }
    if (bytes !== undefined) this.queued.push(bytes)
    this.queuedSyncs += syncs
    if (this.waiting) return
    this.waiting = true
    this.pool = candidates![0]!
    this.fallbacks = candidates!
    this.fallbackAt = 1
    this.pool.checkout(this)
  }

  send(bytes: Buffer, syncs: number): void {
    this.forward(bytes, syncs)
  }

  private sendTo(server: ServerConnection, bytes: Buffer | undefined): void {
    if (bytes !== undefined) server.send(this, bytes)
    else this.sendRewritten(server)
  }

  /** Sends what the message source has ready for `server`. */
  private sendRewritten(server: ServerConnection): void {
    const source = this.source!
    const run = source.takeRun()
    if (run !== undefined) return server.send(this, run)
    const parts = source.materialize(server.statements, server.skippingToSync)
    if (parts.length > 0) server.sendParts(this, parts)
  }

  /** The source's held messages may go now (a statement's shape arrived). */
  resumeSource(): void {
    if (this.server !== undefined && this.source?.hasItems) this.sendRewritten(this.server)
  }

  onCheckout(server: ServerConnection): void {
    this.waiting = false
    if (this.closed) return this.pool!.checkin(server, 'transaction')
    this.server = server
    server.owner = this
    this.lentAt = performance.now()
    if (this.pendingCleanup !== 0) {
      server.cleanup |= this.pendingCleanup
      this.pendingCleanup = 0
    }
    this.client.onAttached(server)
    if (this.queued.length === 0 && !this.source?.hasItems) return // adopted at login: nothing sent yet
    const queued = this.queued
    // With a message source the queued bytes are its own, except a retried read's, sent as they were.
    const raw = this.source === undefined || this.resending
    this.resending = false
    const bytes = !raw ? undefined : queued.length === 1 ? queued[0]! : Buffer.concat(queued)
    this.queued = []
    this.queuedSyncs = 0
    this.sendTo(server, bytes)
  }

  /** Takes a server lent outside this binding (a session-mode login) as if it had checked it out. */
  adopt(server: ServerConnection, pool: ServerPool): void {
    this.pool = pool
    this.waiting = true
    this.onCheckout(server)
  }

  /**
   * query_wait_notify: the client has waited this long for a server; a NOTICE tells it why nothing
   * happens (a NoticeResponse may come at any time, so it never breaks the reply order).
   */
  onCheckoutDelayed(waitedMs: number): void {
    if (this.closed) return
    const pool = this.pool!
    const notice = serializeNoticeResponse({
      severity: 'NOTICE',
      code: SqlState.SuccessfulCompletion,
      message: `waiting for a server connection in pool ${pool.name}: all are in use`,
      detail: `waited ${waitedMs} ms so far; pool_size = ${pool.settings.poolSize}, ${pool.waiting} clients waiting`,
      hint: 'raise pool_size or shorten the transactions that hold connections; the wait ends at query_wait_timeout',
    })
    this.client.reply(notice, 0, notice.length)
  }

  onCheckoutError(error: GatewayError): void {
    const next = this.fallbacks[this.fallbackAt++]
    // Only a server that is down sends the checkout elsewhere: a full pool or a refused setting would
    // be the same there.
    const down = error.code === 'SERVER_UNAVAILABLE' || error.code === 'SERVER_CONNECTION_LOST'
    if (next !== undefined && !this.closed && down) {
      this.pool = next
      return next.checkout(this)
    }
    this.fallbacks = []
    this.retry.disarm()
    this.waiting = false
    const syncs = this.queuedSyncs
    this.queued = []
    this.queuedSyncs = 0
    this.pendingCleanup = 0
    this.client.onBindFailed(error, syncs)
  }

  onServerData(buf: Buffer, start: number, end: number): void {
    if (this.retry.armed) {
      if (this.retry.hold(buf, start, end)) return
      const held = this.retry.takeHeld()
      if (held !== undefined) this.client.reply(held, 0, held.length)
    }
    this.client.reply(buf, start, end)
  }

  onReadyForQuery(status: number, done: boolean): void {
    if (done) this.retry.disarm()
    this.client.onReadyForQuery(status, done)
  }

  onParameterStatus(name: string, value: string): void {
    this.client.onParameterStatus(name, value)
  }

  onBatchIdle(): void {
    this.client.onBatchIdle()
  }

  onServerLost(error: GatewayError, reported: boolean): void {
    const lost = this.pool
    this.server = undefined
    this.paused = false
    if (this.retryElsewhere(lost)) return
    this.client.onServerLost(error, reported)
  }

  /** Sends a read whose server died unheard to the next candidate; false when it cannot be retried. */
  private retryElsewhere(lost: ServerPool | undefined): boolean {
    const again = this.retry.take()
    if (again === undefined || this.closed) return false
    let next = this.fallbacks[this.fallbackAt++]
    while (next === lost && next !== undefined) next = this.fallbacks[this.fallbackAt++]
    if (next === undefined) return false
    log.info('read retried on another server', { lost: `${lost}`, next: `${next}` })
    this.queued = [again.bytes]
    this.queuedSyncs = again.syncs
    this.resending = true
    this.waiting = true
    this.pool = next
    next.checkout(this)
    return true
  }

  cancel(): void {
    if (this.server?.busy) this.server.cancel()
  }

  pause(): void {
    if (this.paused || this.server === undefined) return
    this.paused = true
    this.server.pause()
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.server?.resume()
  }

  /** The transaction ended: counts it (with its `queries`) and returns the server, clean, to its pool. */
  release(queries = 0): void {
    this.detach('transaction', queries)
  }

  /** The client left: the server goes back (cleaned as `ended` says) and nothing waits. */
  close(ended: CheckinKind = 'transaction', queries = 0): void {
    this.closed = true
    if (this.waiting) this.pool?.cancelCheckout(this)
    this.waiting = false
    this.queued = []
    this.detach(ended, queries)
  }

  private detach(ended: CheckinKind, queries: number): void {
    this.fallbacks = []
    this.retry.disarm()
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.owner = undefined
    const stats = server.stats
    stats.xactCount++
    stats.queryCount += queries
    stats.xactTimeMicros += micros(this.lentAt, performance.now())
    this.client.onDetached(server)
    if (this.paused) {
      this.paused = false
      server.resume()
    }
    this.pool!.checkin(server, ended)
  }
}
