/**
 * The query phase of a logged-in client: it walks the client's message headers, keeps the state they
 * drive, and serves each transaction through the binding its route decision names. It forwards runs
 * of messages as they are and decodes only what drives state (the first statement of a transaction,
 * for the router; cleanup keywords; the prepared statements it renames).
 * @module
 */
import { DirectBinding, type DirectClient } from '../binding/direct.js'
import { LocalBinding } from '../binding/local.js'
import { GatewayError, toFatal } from '../errors.js'
import { Cleanup, cleanupFromText } from '../pool/cleanup-state.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { UserPool } from '../pool/user-pool.js'
import { FrontendCode, isFrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import { ClientRequest } from '../request/client-request.js'
import { type RouteDecision, type RoutingState, routeTransaction } from '../router/route.js'
import type { ClientContext, ClientTransport } from './client-context.js'
import { deallocateReply, prepareReply } from './local-replies.js'
import { applyClientParams } from './param-apply.js'
import { failedRequestsReply, TransactionTimers } from './query-phase-support.js'
import { StatementRewriter } from './statement-rewriter.js'

const EMPTY = Buffer.alloc(0)

/** What the query phase needs from the session around it. */
export interface QueryPhaseOwner {
  readonly id: number
  readonly context: ClientContext
  readonly transport: ClientTransport
  readonly database: string
  readonly username: string
  readonly routing: RoutingState
  /** The client's parameter values (reported to it, or chosen by it). */
  readonly params: Map<string, string>
  /** Sends a FATAL error and closes (non-FATAL: sends it and goes on). */
  fail(error: GatewayError): void
  close(reason: string, lastBytes?: Buffer): void
  /** Input arrived while the phase held it back: read the framer again. */
  resumeInput(): void
}

/** Serves a logged-in client's requests. */
export class QueryPhase implements DirectClient {
  transactionCount = 0
  queryCount = 0
  private pool: UserPool
  private poolVersion: number
  private transactionMode: boolean
  private readonly direct: DirectBinding
  private readonly local: LocalBinding
  private readonly request = new ClientRequest()
  private readonly timers: TransactionTimers
  /** Renames protocol-level prepared statements (transaction mode with a statement cache). */
  private readonly rewriter?: StatementRewriter
  /** Queries run in the current transaction (for the statistics). */
  private transactionQueries = 0
  /** The last message forwarded leaves a batch open that only the client can continue (no Sync/Flush). */
  private openBatch = false
  /** Input is held until the next ReadyForQuery (see StatementRewriter.mustWait). */
  private holding = false
  private notices?: Buffer
  /**
   * The server connections whose parameters agreed with this client's when it last let them go, with
   * their paramsVersion then: landing on one again with nothing changed on either side needs no
   * comparison (a client hops between the same few connections all day). Any change to the client's
   * values forgets them all.
   */
  private paramsAgreed = new WeakMap<ServerConnection, number>()

  constructor(
    private readonly owner: QueryPhaseOwner,
    pool: UserPool,
  ) {
    this.pool = pool
    this.poolVersion = owner.context.pools.version
    this.transactionMode = pool.poolMode === 'transaction'
    if (this.transactionMode && pool.preparedStatementsCacheSize > 0) {
      const rw = new StatementRewriter(owner.context.preparedStatements)
      rw.onServerPolluted = () => this.direct.addCleanup(Cleanup.Discard)
      // Called from within a server reply: send once that reply has been dispatched.
      rw.onResume = () => queueMicrotask(() => this.direct.resumeSource())
      this.rewriter = rw
    }
    this.direct = new DirectBinding(this, this.rewriter)
    this.local = new LocalBinding(this)
    this.timers = new TransactionTimers(owner, () => this.pool.idleInTransactionTimeout)
  }

  /** Client bytes arrived: an idle-in-transaction client is idle no more. */
  onInput(): void {
    this.timers.clear()
  }

  /** Walks message headers, keeps state, forwards runs of messages. */
  read(f: MessageFramer): void {
    const rw = this.rewriter
    let runStart = -1
    let syncs = 0
    let last = -1
    while (f.next()) {
      const code = f.code
      if (rw?.mustWait(code, f.buffer, f.start, f.end)) {
        f.rewind()
        this.holding = true
        break
      }
      if (code === FrontendCode.Query) {
        if (rw !== undefined && this.answerDeallocate(rw, f)) continue
        syncs++
        this.countQuery(f)
      } else if (code === FrontendCode.Sync || code === FrontendCode.FunctionCall) {
        if (code === FrontendCode.Sync && rw !== undefined && this.answerPrepare(rw)) continue
        syncs++
      } else if (code === FrontendCode.Parse) this.countQuery(f)
      else if (code === FrontendCode.Terminate) {
        if (runStart >= 0) this.forward(f.buffer.subarray(runStart, f.start), syncs)
        else if (rw?.hasItems) this.forward(undefined, syncs)
        return this.owner.close('client sent Terminate')
      } else if (!isFrontendCode(code) || code === FrontendCode.Password) throw invalidMessage(code)
      // The first message of a transaction is its request: what the router reads.
      if (last < 0 && !this.direct.attached) this.request.set(code, f.buffer, f.start, f.end)
      last = code
      if (rw !== undefined) rw.accept(code, f.buffer, f.start, f.end)
      else if (runStart < 0) runStart = f.start
    }
    if (last >= 0) this.openBatch = opensBatch(last)
    if (runStart >= 0) this.forward(f.buffer.subarray(runStart, f.buffer.length - f.pending), syncs)
    else if (rw?.hasItems) this.forward(undefined, syncs)
  }

  private countQuery(f: MessageFramer): void {
    this.queryCount++
    this.transactionQueries++
    if (this.transactionMode) this.direct.addCleanup(cleanupFromText(f.buffer, f.start + 5, f.end))
  }

  /**
   * Whether the client can be answered without a server now: nothing of its own in flight or waiting
   * for a checkout (so a local reply stays in order), and not in a failed transaction (where Postgres
   * refuses everything with 25P02, which the server must say).
   */
  private canAnswerLocally(): boolean {
    return !this.direct.busy && this.direct.txnStatus !== TxnStatus.Failed
  }

  /** Answers a lone DEALLOCATE of the client's own statements (see local-replies.ts). */
  private answerDeallocate(rw: StatementRewriter, f: MessageFramer): boolean {
    // Not after SQL PREPARE pinned the client (the server holds its SQL-level statements), and not
    // behind messages still queued in the rewriter.
    if (!this.transactionMode || rw.hasItems || !this.canAnswerLocally()) return false
    const status = this.direct.txnStatus
    const reply = deallocateReply(rw, f.buffer, f.start, f.end, status)
    if (reply !== undefined) this.local.answer(reply, status)
    return reply !== undefined
  }

  /** Answers a lone Parse + Sync of an already accepted statement (see StatementRewriter.takeLocalPrepare). */
  private answerPrepare(rw: StatementRewriter): boolean {
    if (!this.canAnswerLocally()) return false // takeLocalPrepare checks that the Parse is all that is queued
    const status = this.direct.txnStatus
    const reply = prepareReply(rw, status)
    if (reply === undefined) return false
    this.local.answer(reply, status)
    return true
  }

  /** Sends through the transaction's binding, routing the transaction first if it has none yet. */
  private forward(bytes: Buffer | undefined, syncs: number): void {
    const d = this.direct
    if (d.attached) d.forward(bytes, syncs)
    else {
      const decision = this.route()
      if (decision === undefined) return this.onBindFailed(this.routeError!, syncs)
      d.forward(bytes, syncs, decision.candidates)
    }
    // Nothing will come back until the client sends more: it is idle, holding a server.
    if (this.openBatch && d.server !== undefined) this.timers.armIdleInTransaction()
  }

  private routeError?: GatewayError

  /** The route decision for the transaction starting now; undefined (with routeError) when there is none. */
  private route(): RouteDecision | undefined {
    try {
      const decision = routeTransaction(this.request, this.owner.routing, this.currentPool())
      if (decision.shards.length === 1) return decision
      throw new GatewayError('FEATURE_NOT_SUPPORTED', 'a multi-shard request over a client session', {
        hint: 'choose one shard (Skiff-Shard, or one shard in the routing state); multi-shard reads arrive with sharding',
      })
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err
      this.routeError = err
      return undefined
    }
  }

  /** The client's pool now: after a reload swapped the pools, the new one of the same (database, user). */
  private currentPool(): UserPool {
    const registry = this.owner.context.pools
    if (registry.version === this.poolVersion) return this.pool
    const pool = registry.get(this.owner.database, this.owner.username)
    if (pool === undefined)
      throw new GatewayError('SHUTTING_DOWN', `pool ${this.pool.name} was removed from the config`, {
        severity: 'FATAL',
        hint: 'reconnect to a database and user the config still names',
      })
    this.pool = pool
    this.poolVersion = registry.version
    return pool
  }

  onAttached(server: ServerConnection): void {
    this.transactionCount++
    if (this.paramsAgreed.get(server) === server.paramsVersion) return
    this.notices = applyClientParams(this.owner.params, server, this.owner.id, () => this.paramsChanged())
  }

  onDetached(server: ServerConnection): void {
    this.paramsAgreed.set(server, server.paramsVersion)
  }

  onBindFailed(error: GatewayError, syncs: number): void {
    this.rewriter?.discardItems()
    if (error.severity === 'FATAL' || syncs === 0) return this.owner.fail(toFatal(error))
    // Each pending Query or Sync gets the error and its ReadyForQuery, as if each statement had failed.
    this.owner.transport.write(failedRequestsReply(error, syncs))
  }

  reply(buf: Buffer, start: number, end: number): void {
    let bytes = buf.subarray(start, end)
    if (this.notices !== undefined) {
      bytes = Buffer.concat([this.notices, bytes])
      this.notices = undefined
    }
    if (!this.owner.transport.write(bytes)) this.direct.pause()
  }

  onReadyForQuery(status: number, done: boolean): void {
    if (this.holding) {
      this.holding = false
      queueMicrotask(() => this.owner.resumeInput()) // resume the held input once this reply is delivered
    }
    // Not done: more of the client's messages are still to be answered (a pipeline).
    if (!done) return
    const server = this.direct.server
    // SQL PREPARE made a statement only this server holds: keep the server for the rest of the session.
    if (this.transactionMode && server !== undefined && server.cleanup & Cleanup.Prepare)
      this.transactionMode = false
    if (status === TxnStatus.Idle) {
      if (this.transactionMode && !this.rewriter?.hasItems) this.endTransaction()
    } else this.timers.armIdleInTransaction()
  }

  private endTransaction(): void {
    this.direct.release(this.transactionQueries)
    this.transactionQueries = 0
  }

  /** The server answered everything in the middle of a batch and waits for this client. */
  onBatchIdle(): void {
    if (this.direct.server !== undefined) this.timers.armIdleInTransaction()
  }

  onParameterStatus(name: string, value: string): void {
    const params = this.owner.params
    if (params.get(name) === value) return
    params.set(name, value)
    this.paramsChanged()
  }

  /** The client's parameter values changed: no server connection is known to agree any more. */
  private paramsChanged(): void {
    this.paramsAgreed = new WeakMap()
  }

  /** `reported`: the server's own FATAL already reached the client; Postgres would say nothing more. */
  onServerLost(error: GatewayError, reported: boolean): void {
    if (reported) this.owner.close(error.message, EMPTY)
    else this.owner.fail(toFatal(error))
  }

  /** The client's socket can take more: resume reading the server. */
  onTransportDrain(): void {
    this.direct.resume()
  }

  cancelRunningQuery(): void {
    this.direct.cancel()
  }

  /** The client left: its server goes back to the pool (or is closed), nothing waits any more. */
  close(): void {
    this.timers.clear()
    this.direct.close(this.transactionMode ? 'transaction' : 'session', this.transactionQueries)
  }
}

/**
 * True when a batch ending with this message waits on the client: an extended-protocol message other
 * than Sync and Flush (the server sends nothing back until one of them).
 */
function opensBatch(code: number): boolean {
  return (
    code === FrontendCode.Parse ||
    code === FrontendCode.Bind ||
    code === FrontendCode.Describe ||
    code === FrontendCode.Execute ||
    code === FrontendCode.Close
  )
}

function invalidMessage(code: number): GatewayError {
  return new GatewayError('PROTOCOL_VIOLATION', `invalid frontend message type ${code}`, {
    severity: 'FATAL',
    hint: 'the client sent bytes that are not a Postgres protocol message; check that it speaks protocol 3.0',
  })
}
