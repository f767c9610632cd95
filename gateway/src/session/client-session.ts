/**
 * One client connection, from StartupMessage to Terminate: an explicit state machine whose query phase
 * forwards bytes to a lent server connection and decodes only what drives state.
 * @module
 */

import type { ClientAuthFlow } from '../auth/client-auth.js'
import { asGatewayError, GatewayError, toFatal } from '../errors.js'
import { log } from '../log.js'
import { Cleanup, cleanupFromText } from '../pool/cleanup-state.js'
import type { ReplySink } from '../pool/reply-route.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { CheckoutWaiter, ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import { serializeReadyForQuery } from '../protocol/backend.js'
import { FrontendCode, isFrontendCode, TxnStatus } from '../protocol/codes.js'
import {
  FramingError,
  MAX_AUTH_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageFramer,
} from '../protocol/framer.js'
import { type RoutingState, routeTransaction } from '../router/route.js'
import type { CancelTarget, ClientContext, ClientTransport, ConnectionTarget } from './client-context.js'
import { StartupHandler } from './client-startup.js'
import { deallocateReply, prepareReply } from './local-replies.js'
import { applyClientParams } from './param-apply.js'
import { StatementRewriter } from './statement-rewriter.js'

/** Steps of a client connection. */
export const ClientStep = {
  Startup: 'Startup',
  Authenticating: 'Authenticating',
  /** Authenticated; waiting to learn the server's parameters before ReadyForQuery. */
  Connecting: 'Connecting',
  Ready: 'Ready',
  Closed: 'Closed',
} as const
export type ClientStep = (typeof ClientStep)[keyof typeof ClientStep]

let nextClientId = 1
const EMPTY = Buffer.alloc(0)

/** A client session; implements the reply sink and checkout waiter interfaces of the pool side. */
export class ClientSession implements ReplySink, CheckoutWaiter, CancelTarget, ConnectionTarget {
  readonly internal = false
  readonly id = nextClientId++
  readonly connectedAt = Date.now()
  step: ClientStep = ClientStep.Startup
  processId = 0
  secretKey = 0
  username = ''
  database = ''
  /** The parameter values this client believes in (reported to it, or chosen by it). */
  params = new Map<string, string>()
  pool?: UserPool
  auth?: ClientAuthFlow
  readonly routing: RoutingState = { shard: 0 }
  transactionCount = 0
  queryCount = 0
  /** Before login every message is capped as Postgres caps a password or SASL message. */
  private readonly framer = new MessageFramer(true, MAX_AUTH_MESSAGE_LENGTH, isFrontendCode)
  /** This connection counts against max_client_conn (it was not refused at accept). */
  private readonly counted: boolean
  private readonly startup = new StartupHandler(this)
  private serverPool?: ServerPool
  private server?: ServerConnection
  private waitingCheckout = false
  private queued: Buffer[] = []
  /** Queries and Syncs among the queued messages: each gets an error if no server can be had. */
  private queuedSyncs = 0
  /** The last message forwarded leaves a batch open that only the client can continue (no Sync/Flush). */
  private openBatch = false
  private pendingCleanup = 0
  private notices?: Buffer
  /**
   * The server connections whose parameters agreed with this client's when it last let them go, with
   * their paramsVersion then: landing on one again with nothing changed on either side needs no
   * comparison (a client hops between the same few connections all day). Any change to the client's
   * values forgets them all.
   */
  private paramsAgreed = new WeakMap<ServerConnection, number>()
  private serverPaused = false
  private transactionMode = true
  private idleInTransactionTimer?: NodeJS.Timeout
  /** Renames protocol-level prepared statements (transaction mode with a statement cache). */
  private rewriter?: StatementRewriter
  /** Input is held until the next ReadyForQuery (see StatementRewriter.mustWait). */
  private holding = false

  /** Counts the connection against max_client_conn; one over the limit is refused at once. */
  constructor(
    readonly context: ClientContext,
    readonly transport: ClientTransport,
  ) {
    const refused = context.openConnection(this)
    this.counted = refused === undefined
    if (refused !== undefined) {
      this.step = ClientStep.Closed
      log.debug('client refused', { client: this.id, reason: refused.message })
      transport.end(refused.toErrorResponse())
    }
  }

  /** Bytes from the client. */
  onData(chunk: Buffer): void {
    if (this.step === ClientStep.Closed) return
    this.framer.push(chunk)
    if (this.idleInTransactionTimer !== undefined) this.clearIdleInTransactionTimer()
    try {
      if (this.step === ClientStep.Ready) this.onQueryData()
      else this.startup.drain(this.framer)
    } catch (err) {
      this.onBadInput(err)
    }
  }

  private onBadInput(err: unknown): void {
    // Bytes that cannot be a startup packet: Postgres closes without a word (and only logs it).
    if (this.step === ClientStep.Startup && err instanceof FramingError) {
      log.debug('closing a connection that did not start with a startup packet', {
        client: this.id,
        error: err.message,
      })
      return this.close('not a startup packet', EMPTY)
    }
    const tooLong = err instanceof FramingError && err.tooLong ? this.auth?.tooLong?.() : undefined
    this.fail(toFatal(tooLong ?? asGatewayError(err, 'PROTOCOL_VIOLATION')))
  }

  /**
   * client_login_timeout passed: as Postgres, a client that never sent its startup packet is closed
   * silently, one in the middle of authentication gets 57014.
   */
  onLoginTimeout(): void {
    if (this.step === ClientStep.Startup) return this.close('client_login_timeout', EMPTY)
    if (this.step === ClientStep.Closed || this.step === ClientStep.Ready) return
    this.fail(
      new GatewayError('LOGIN_TIMEOUT', 'canceling authentication due to timeout', {
        severity: 'FATAL',
        hint: 'the client did not finish logging in within client_login_timeout',
      }),
    )
  }

  /** Called by the startup handler once the client is authenticated. */
  beginService(pool: UserPool): void {
    this.pool = pool
    this.transactionMode = pool.poolMode === 'transaction'
    this.framer.maxLength = MAX_MESSAGE_LENGTH
    if (this.transactionMode && pool.preparedStatementsCacheSize > 0) {
      this.rewriter = new StatementRewriter(this.context.preparedStatements)
      this.rewriter.onServerPolluted = () => {
        if (this.server !== undefined) this.server.cleanup |= Cleanup.Discard
      }
      // Called from within a server reply: send once that reply has been dispatched.
      this.rewriter.onResume = () => queueMicrotask(() => this.resumeRewritten())
    }
    this.serverPool = routeTransaction(pool, this.routing)
    this.step = ClientStep.Connecting
    this.serverPool.ensureServerParams((error) => {
      if (this.step === ClientStep.Closed) return
      if (error !== undefined) return this.fail(toFatal(error))
      this.startup.finishLogin(this.serverPool!.serverParams!)
      this.step = ClientStep.Ready
      this.context.loginDone(this)
      this.transport.onLoggedIn?.()
      if (this.framer.pending > 0) this.onData(Buffer.alloc(0))
    })
  }

  /** The query phase: walk message headers, keep state, forward runs of messages. */
  private onQueryData(): void {
    const f = this.framer
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
        if (rw !== undefined && this.answerDeallocate(rw)) continue
        syncs++
        this.queryCount++
        if (this.transactionMode) this.pendingCleanup |= cleanupFromText(f.buffer, f.start + 5, f.end)
      } else if (code === FrontendCode.Sync || code === FrontendCode.FunctionCall) {
        if (code === FrontendCode.Sync && rw !== undefined && this.answerPrepare(rw)) continue
        syncs++
      } else if (code === FrontendCode.Parse) {
        this.queryCount++
        if (this.transactionMode) this.pendingCleanup |= cleanupFromText(f.buffer, f.start + 5, f.end)
      } else if (code === FrontendCode.Terminate) {
        if (runStart >= 0) this.forward(f.buffer.subarray(runStart, f.start), syncs)
        else if (rw?.hasItems) this.forward(undefined, syncs)
        return this.close('client sent Terminate')
      } else if (!isFrontendCode(code) || code === FrontendCode.Password) throw invalidMessage(code)
      last = code
      if (rw !== undefined) rw.accept(code, f.buffer, f.start, f.end)
      else if (runStart < 0) runStart = f.start
    }
    if (last >= 0) this.openBatch = opensBatch(last)
    if (runStart >= 0) this.forward(f.buffer.subarray(runStart, f.buffer.length - f.pending), syncs)
    else if (rw?.hasItems) this.forward(undefined, syncs)
  }

  /**
   * Whether the client can be answered without a server now: nothing of its own in flight or waiting
   * for a checkout (so a local reply stays in order), and not in a failed transaction (where Postgres
   * refuses everything with 25P02, which the server must say).
   */
  private canAnswerLocally(): boolean {
    if (this.waitingCheckout || this.server?.busy) return false
    return this.server?.txnStatus !== TxnStatus.Failed
  }

  /** Answers a lone DEALLOCATE of the client's own statements (see local-replies.ts). */
  private answerDeallocate(rw: StatementRewriter): boolean {
    const f = this.framer
    // Not after SQL PREPARE pinned the client (the server holds its SQL-level statements), and not
    // behind messages still queued in the rewriter.
    if (!this.transactionMode || rw.hasItems || !this.canAnswerLocally()) return false
    const reply = deallocateReply(rw, f.buffer, f.start, f.end, this.server?.txnStatus ?? TxnStatus.Idle)
    if (reply !== undefined) this.transport.write(reply)
    return reply !== undefined
  }

  /** Answers a lone Parse + Sync of an already accepted statement (see StatementRewriter.takeLocalPrepare). */
  private answerPrepare(rw: StatementRewriter): boolean {
    if (!this.canAnswerLocally()) return false // takeLocalPrepare checks that the Parse is all that is queued
    const reply = prepareReply(rw, this.server?.txnStatus ?? TxnStatus.Idle)
    if (reply === undefined) return false
    this.transport.write(reply)
    return true
  }

  /** Sends to the lent server, or queues and asks for one. `undefined`: the rewriter's messages. */
  private forward(bytes: Buffer | undefined, syncs: number): void {
    const server = this.server
    if (server !== undefined) {
      if (this.pendingCleanup !== 0) {
        server.cleanup |= this.pendingCleanup
        this.pendingCleanup = 0
      }
      if (bytes !== undefined) server.send(this, bytes)
      else this.sendRewritten(server)
      // Nothing will come back until the client sends more: it is idle, holding a server.
      if (this.openBatch && this.pool!.idleInTransactionTimeout > 0) this.armIdleInTransactionTimer()
      return
    }
    if (bytes !== undefined) this.queued.push(bytes)
    this.queuedSyncs += syncs
    if (this.waitingCheckout) return
    this.waitingCheckout = true
    this.serverPool = routeTransaction(this.pool!, this.routing)
    this.serverPool.checkout(this)
  }

  /** Sends what the statement rewriter has ready for `server`. */
  private sendRewritten(server: ServerConnection): void {
    const rw = this.rewriter!
    const run = rw.takeRun()
    if (run !== undefined) return server.send(this, run)
    const parts = rw.materialize(server.statements, server.skippingToSync)
    if (parts.length > 0) server.sendParts(this, parts)
  }

  /** The rewriter's held messages may go now (a statement's shape arrived). */
  private resumeRewritten(): void {
    if (this.step !== ClientStep.Ready || this.server === undefined || !this.rewriter?.hasItems) return
    this.sendRewritten(this.server)
  }

  onCheckout(server: ServerConnection): void {
    this.waitingCheckout = false
    if (this.step === ClientStep.Closed) return this.serverPool!.checkin(server, 'transaction')
    this.server = server
    server.owner = this
    this.transactionCount++
    if (this.paramsAgreed.get(server) !== server.paramsVersion) this.syncParams(server)
    const bytes =
      this.rewriter !== undefined
        ? undefined
        : this.queued.length === 1
          ? this.queued[0]!
          : Buffer.concat(this.queued)
    const syncs = this.queuedSyncs
    this.queued = []
    this.queuedSyncs = 0
    this.forward(bytes, syncs)
  }

  onCheckoutError(error: GatewayError): void {
    this.waitingCheckout = false
    const syncs = this.queuedSyncs
    this.rewriter?.discardItems()
    this.queued = []
    this.queuedSyncs = 0
    if (error.severity === 'FATAL' || syncs === 0) return this.fail(toFatal(error))
    // Each pending Query or Sync gets the error and its ReadyForQuery, as if each statement had failed.
    const reply = Buffer.concat([error.toErrorResponse(), serializeReadyForQuery(TxnStatus.Idle)])
    this.transport.write(syncs === 1 ? reply : Buffer.concat(Array(syncs).fill(reply)))
  }

  /** Applies the client's parameters on a server it lands on, and reports values it has not seen. */
  private syncParams(server: ServerConnection): void {
    this.notices = applyClientParams(this.params, server, this.id, () => this.paramsChanged())
  }

  onServerData(buf: Buffer, start: number, end: number): void {
    this.writeReply(buf.subarray(start, end))
  }

  private writeReply(reply: Buffer): void {
    let bytes = reply
    if (this.notices !== undefined) {
      bytes = Buffer.concat([this.notices, bytes])
      this.notices = undefined
    }
    if (!this.transport.write(bytes) && !this.serverPaused) {
      this.serverPaused = true
      this.server?.pause()
    }
  }

  onReadyForQuery(status: number, done: boolean): void {
    if (this.holding) {
      this.holding = false
      queueMicrotask(() => this.onData(EMPTY)) // resume the held input once this reply is delivered
    }
    // Not done: more of the client's messages are still to be answered (a pipeline).
    if (!done) return
    // SQL PREPARE made a statement only this server holds: keep the server for the rest of the session.
    if (this.transactionMode && this.server !== undefined && this.server.cleanup & Cleanup.Prepare)
      this.transactionMode = false
    if (status === TxnStatus.Idle) {
      if (this.transactionMode && !this.rewriter?.hasItems) this.releaseServer()
    } else if (this.pool!.idleInTransactionTimeout > 0) this.armIdleInTransactionTimer()
  }

  /** The server answered everything in the middle of a batch and waits for this client. */
  onBatchIdle(): void {
    if (this.server !== undefined && this.pool!.idleInTransactionTimeout > 0) this.armIdleInTransactionTimer()
  }

  /** A client idle inside a transaction holds a server connection; PgCat's idle_client_in_transaction_timeout. */
  private armIdleInTransactionTimer(): void {
    const ms = this.pool!.idleInTransactionTimeout
    clearTimeout(this.idleInTransactionTimer)
    this.idleInTransactionTimer = setTimeout(() => this.fail(idleInTransactionError(ms)), ms)
  }

  private clearIdleInTransactionTimer(): void {
    clearTimeout(this.idleInTransactionTimer)
    this.idleInTransactionTimer = undefined
  }

  onParameterStatus(name: string, value: string): void {
    if (this.params.get(name) === value) return
    this.params.set(name, value)
    this.paramsChanged()
  }

  /** The client's parameter values changed: no server connection is known to agree any more. */
  private paramsChanged(): void {
    this.paramsAgreed = new WeakMap()
  }

  /** `reported`: the server's own FATAL already reached the client; Postgres would say nothing more. */
  onServerLost(error: GatewayError, reported: boolean): void {
    this.server = undefined
    this.serverPaused = false
    if (reported) this.close(error.message, EMPTY)
    else this.fail(toFatal(error))
  }

  /** The client's socket can take more: resume reading the server. */
  onTransportDrain(): void {
    if (!this.serverPaused) return
    this.serverPaused = false
    this.server?.resume()
  }

  cancelRunningQuery(): void {
    if (this.server?.busy) this.server.cancel()
  }

  private releaseServer(): void {
    const server = this.server!
    this.server = undefined
    server.owner = undefined
    this.paramsAgreed.set(server, server.paramsVersion)
    if (this.serverPaused) {
      this.serverPaused = false
      server.resume()
    }
    this.serverPool!.checkin(server, 'transaction')
  }

  /** Sends a FATAL error and closes; non-FATAL errors are sent and the session continues. */
  fail(error: GatewayError): void {
    if (this.step === ClientStep.Closed) return
    if (error.severity !== 'FATAL') {
      this.transport.write(error.toErrorResponse())
      return
    }
    log.debug('closing client after error', { client: this.id, code: error.sqlstate, message: error.message })
    this.close(error.message, error.toErrorResponse())
  }

  /** Ends the session: returns or discards its server, then closes the transport. */
  close(reason: string, lastBytes?: Buffer): void {
    if (this.step === ClientStep.Closed) return
    const wasReady = this.step === ClientStep.Ready || this.step === ClientStep.Connecting
    this.step = ClientStep.Closed
    this.framer.reset()
    this.clearIdleInTransactionTimer()
    if (this.counted) this.context.closeConnection(this)
    if (wasReady) this.context.unregisterClient(this)
    if (this.waitingCheckout) this.serverPool?.cancelCheckout(this)
    const server = this.server
    this.server = undefined
    if (server !== undefined) this.returnServer(server)
    if (this.context.logDisconnections && wasReady) {
      log.info('client disconnected', {
        client: this.id,
        user: this.username,
        database: this.database,
        reason,
      })
    }
    this.transport.end(lastBytes)
  }

  private returnServer(server: ServerConnection): void {
    server.owner = undefined
    if (this.serverPaused) server.resume()
    this.serverPool!.checkin(server, this.transactionMode ? 'transaction' : 'session')
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

function idleInTransactionError(ms: number): GatewayError {
  return new GatewayError(
    'IDLE_IN_TRANSACTION_TIMEOUT',
    'terminating connection due to idle-in-transaction timeout',
    {
      severity: 'FATAL',
      detail: `the client held a server connection inside a transaction without sending anything for ${ms} ms (idle_client_in_transaction_timeout)`,
    },
  )
}

function invalidMessage(code: number): GatewayError {
  return new GatewayError('PROTOCOL_VIOLATION', `invalid frontend message type ${code}`, {
    severity: 'FATAL',
    hint: 'the client sent bytes that are not a Postgres protocol message; check that it speaks protocol 3.0',
  })
}
