/**
 * The output side of the query phase: the bindings that serve a client's transactions. For each
 * transaction it asks the router (with the request that opened it, the client's routing state and the
 * pool's current registry entry) and serves it through Direct (one server), MultiShard (every shard,
 * replies merged) or Local (the gateway's own replies); it hands replies to the client, keeps the
 * client's parameters on the servers it lands on, and ends each transaction.
 * @module
 */
import { DirectBinding, type DirectClient } from '../binding/direct.js'
import { LocalBinding } from '../binding/local.js'
import { MultiShardBinding } from '../binding/multi-shard.js'
import { GatewayError, toFatal } from '../errors.js'
import { Cleanup } from '../pool/cleanup-state.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MergeSpec } from '../protocol/merge-spec.js'
import { ClientRequest } from '../request/client-request.js'
import { mayHoldBegin, type RouteDecision, type RouteHint, routeTransaction } from '../router/route.js'
import { afterBegin } from '../router/statement-target.js'
import { CommitPosition } from './commit-position.js'
import { BEGIN_REPLY, holdableBegin, runHeldBegin } from './held-begin.js'
import { type ListenHost, ListenRequests } from './listen-requests.js'
import { SettingsSync } from './param-apply.js'
import {
  failedRequestsReply,
  MULTI_SHARD_PROTOCOL,
  onlyQueries,
  type QueryPhaseOwner,
  shardNames,
  TransactionTimers,
} from './query-phase-support.js'
import { RoutedWrites } from './routed-writes.js'
import { SessionPins } from './session-pins.js'
import { DescribeFirst, planCrossShard, ShardCheck } from './shard-requests.js'
import type { StatementRewriter } from './statement-rewriter.js'

const EMPTY = Buffer.alloc(0)

/** Serves a logged-in client's transactions. */
export class TransactionBindings implements DirectClient {
  transactionCount = 0
  /** The pool shares servers per transaction (pool_mode = transaction). */
  readonly transactionMode: boolean
  /** Transaction mode: asks the server about session state after transactions, pins the client to it. */
  readonly pins?: SessionPins
  /** The request that opens the next transaction (set by the query phase as it reads). */
  readonly request = new ClientRequest()
  readonly direct: DirectBinding
  readonly local: LocalBinding
  /** The binding of a transaction that runs on several shards, while it lasts. */
  multi?: MultiShardBinding
  /** The last message forwarded leaves a batch open that only the client can continue (no Sync/Flush). */
  openBatch = false
  /** Input is held until the next ReadyForQuery (see StatementRewriter.mustWait). */
  holding = false
  /** Input is held until a probe's answer is in (the client's next messages need its settings). */
  holdingForProbe = false
  /** Input is held until the listener answered a LISTEN. */
  holdingForListen = false
  /** A describe-only batch of a sharded pool, closed with the gateway's own Sync (shard-requests.ts). */
  readonly describe: DescribeFirst
  private readonly shardCheck = new ShardCheck()
  /** Transaction mode: LISTEN/UNLISTEN answered by the gateway, and the client's notifications. */
  readonly listen?: ListenRequests
  /** Queries run in the current transaction (for the statistics). */
  transactionQueries = 0
  readonly timers: TransactionTimers
  /** read_your_writes: where the client's last commit is (see commit-position.ts). */
  readonly commits: CommitPosition
  /** The transaction under way may write on a primary: learn its commit position when it ends. */
  private learnPosition = false
  private readonly routedWrites = new RoutedWrites()
  /** A BEGIN answered by the gateway, to run ahead of the transaction's first statement (held-begin.ts). */
  private heldBegin?: string
  private pool: UserPool
  private poolVersion: number
  private routeError?: GatewayError
  private readonly sync: SettingsSync

  constructor(
    private readonly owner: QueryPhaseOwner,
    pool: UserPool,
    private readonly rewriter?: StatementRewriter,
  ) {
    this.pool = pool
    this.poolVersion = owner.context.pools.version
    this.transactionMode = pool.poolMode === 'transaction'
    if (this.transactionMode) {
      this.pins = new SessionPins(owner, pool, () => this.afterProbe())
      this.listen = new ListenRequests(this.listenHost())
    }
    if (rewriter !== undefined) {
      this.request.statementLookup = (name) => rewriter.statementInfo(name)
      this.request.statementBody = (name) => rewriter.statementBody(name)
      rewriter.onServerPolluted = () => this.direct.addCleanup(Cleanup.Discard)
      // Called from within a server reply: send once that reply has been dispatched.
      rewriter.onResume = () => queueMicrotask(() => this.direct.resumeSource())
    }
    this.sync = new SettingsSync(owner)
    this.describe = new DescribeFirst({
      closed: (server) => this.describeClosed(server),
      resumeInput: () => this.owner.resumeInput(),
    })
    this.commits = new CommitPosition(owner.routing)
    this.direct = new DirectBinding(this, rewriter)
    this.local = new LocalBinding(this)
    this.timers = new TransactionTimers(
      owner,
      () => this.pool.idleInTransactionTimeout,
      () => this.pool.transactionTimeout,
    )
  }

  /** True while the client gives its server back at the end of each transaction. */
  get sharing(): boolean {
    return this.transactionMode && !this.pins!.pinned
  }

  /** Session mode: the server the login lent the client is its binding from the start. */
  adopt(server: ServerConnection, pool: ServerPool): void {
    this.direct.adopt(server, pool)
  }

  /** The client's transaction status: the server's, or `T` after a held BEGIN. */
  get txnStatus(): number {
    return this.heldBegin !== undefined ? TxnStatus.InTransaction : this.direct.txnStatus
  }

  /** True when nothing of the client's runs or waits: a notification may go out now. */
  get betweenTransactions(): boolean {
    return (
      this.multi === undefined &&
      this.heldBegin === undefined &&
      !this.direct.busy &&
      this.direct.txnStatus === TxnStatus.Idle &&
      !this.holding &&
      !this.holdingForProbe &&
      !this.holdingForListen
    )
  }

  private listenHost(): ListenHost {
    const self = this
    return {
      listener: () => this.currentPool().listener,
      get betweenTransactions() {
        return self.betweenTransactions
      },
      answer: (reply) => this.local.answer(reply, TxnStatus.Idle),
      write: (bytes) => this.owner.transport.write(bytes),
      hold: () => {
        this.holdingForListen = true
      },
      resume: () => {
        this.holdingForListen = false
        queueMicrotask(() => this.owner.resumeInput())
      },
    }
  }

  /** A Query, Parse, Bind or Close of the client's: write targets, for table versions (routed-writes.ts). */
  noteWrite(code: number, buf: Buffer, start: number, end: number): void {
    this.routedWrites.note(this.pool, code, buf, start, end)
    // Without the rewriter the server holds the client's own names, and its DEALLOCATE or DISCARD
    // ALL drops them (unless the transaction has failed: then it is refused). With the rewriter a
    // DISCARD ALL leaves the client's statements usable (the rewriter prepares them again).
    if (code !== FrontendCode.Query || this.rewriter !== undefined || this.routedWrites.namedWrites === 0)
      return
    if (this.txnStatus !== TxnStatus.Failed) this.routedWrites.deallocated(buf, start, end)
  }

  /** The rewriter answered a DEALLOCATE of the client's statements itself (query-phase.ts). */
  noteDeallocate(buf: Buffer, start: number, end: number): void {
    this.routedWrites.deallocated(buf, start, end)
  }

  /** True while a transaction has its binding (a server lent or awaited, or several shards). */
  get bound(): boolean {
    return this.multi !== undefined || this.direct.attached
  }

  /**
   * Whether the client can be answered without a server now: nothing of its own in flight or waiting
   * for a checkout (so a local reply stays in order), and not in a failed transaction (where Postgres
   * refuses everything with 25P02, which the server must say).
   */
  canAnswerLocally(): boolean {
    if (this.multi !== undefined) return false
    return !this.direct.busy && this.direct.txnStatus !== TxnStatus.Failed
  }

  /** Sends through the transaction's binding, routing the transaction first if it has none yet. */
  forward(bytes: Buffer | undefined, syncs: number): void {
    this.timers.armTransaction()
    if (this.multi !== undefined) return this.sendMulti(bytes, syncs)
    const d = this.direct
    if (d.attached) d.forward(bytes, syncs)
    else {
      if (syncs === 1 && this.holdBegin(bytes)) return
      const decision = this.route()
      if (decision === undefined) return this.onBindFailed(this.routeError!, syncs)
      if (decision.shards.length > 1) return this.startMulti(decision, bytes, syncs)
      this.learnPosition = !decision.readOnly && this.pool.routing.readYourWrites
      const shards = this.pool.shards.length
      this.describe.active = DescribeFirst.wanted(syncs, this.sharing, shards, this.request.runsStatement)
      d.forward(bytes, syncs, decision.candidates, this.retryable(decision))
    }
    // Nothing will come back until the client sends more: it is idle, holding a server.
    if (this.openBatch && d.server !== undefined) this.timers.armIdleInTransaction()
  }

  /**
   * Sends to every shard of a multi-shard transaction: simple Query messages only, which every server
   * answers (the reply merger's condition); anything else fails that request.
   */
  private sendMulti(bytes: Buffer | undefined, syncs: number): void {
    const plain = bytes ?? this.rewriter?.takeRun()
    if (plain !== undefined && onlyQueries(plain)) return this.multi!.send(plain, syncs)
    this.rewriter?.discardItems()
    this.onBindFailed(MULTI_SHARD_PROTOCOL, syncs)
  }

  /**
   * A Query inside a transaction already on one shard of a sharded pool: undefined when it may run
   * there, else the Query that fails in its place (shard-requests.ts).
   */
  shardMismatch(buf: Buffer, start: number, end: number): Buffer | undefined {
    if (this.pool.shards.length < 2) return undefined // one shard: nothing to check, nothing read
    const server = this.direct.serverPool
    if (server === undefined || this.direct.server === undefined) return undefined
    return this.shardCheck.mismatch(this.pool, server, buf, start, end)
  }

  /** A transaction on several shards: every shard's reply merged, a cross-shard read's combined. */
  private startMulti(decision: RouteDecision, bytes: Buffer | undefined, syncs: number): void {
    let merge: MergeSpec | undefined
    if (decision.crossShard) {
      const planned = planCrossShard(bytes ?? this.rewriter?.peekRun(), syncs, this.pool.name)
      if (planned instanceof GatewayError) return this.onBindFailed(planned, syncs)
      if (bytes === undefined) this.rewriter!.discardItems()
      bytes = planned.bytes
      merge = planned.merge
    }
    const prepare = (server: ServerConnection) => this.sync.prepareLeg(server)
    this.multi = new MultiShardBinding(this, decision.candidates, shardNames(decision), prepare, merge)
    this.sendMulti(bytes, syncs)
  }

  private endMulti(): void {
    this.multi?.close() // every leg back to its pool, and checkouts still under way cancelled
    this.multi = undefined
  }

  /**
   * A lone plain BEGIN while reads may go to replicas: answered now, routed with the transaction's
   * first statement (held-begin.ts). True when it was held.
   */
  private holdBegin(bytes: Buffer | undefined): boolean {
    if (!this.sharing || this.heldBegin !== undefined) return false
    if (!mayHoldBegin(this.request, this.owner.routing, this.pool)) return false
    const plain = bytes ?? this.rewriter?.peekRun()
    const text = plain === undefined ? undefined : holdableBegin(plain)
    if (text === undefined) return false
    if (bytes === undefined) this.rewriter!.discardItems()
    this.heldBegin = text
    this.local.answer(BEGIN_REPLY, TxnStatus.InTransaction)
    this.timers.armIdleInTransaction()
    return true
  }

  /**
   * A read on a replica outside a transaction may run again on the next candidate if its server dies
   * before answering (binding/read-retry.ts).
   */
  private retryable(decision: RouteDecision): boolean {
    if (decision.role !== 'replica' || this.heldBegin !== undefined) return false
    const info = this.request.statement
    return !info.transactionControl && info.kind === 'read'
  }

  /** A described batch's Sync was answered: its server goes back unless the client keeps it. */
  private describeClosed(server: ServerConnection): void {
    this.timers.clear()
    const free = this.direct.server === server && server.txnStatus === TxnStatus.Idle && !server.busy
    if (free && !this.pins?.pinned && !this.rewriter?.hasItems) this.endTransaction()
  }

  /** The route decision for the transaction starting now; undefined (with routeError) when there is none. */
  private route(): RouteDecision | undefined {
    this.routeError = undefined
    const hint: RouteHint = this.heldBegin !== undefined ? afterBegin(this.request.statement) : undefined
    try {
      return routeTransaction(this.request, this.owner.routing, this.currentPool(), hint)
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err
      this.routeError = err
      return undefined
    }
  }

  /** The client's pool now: after a reload swapped the pools, the new one of the same (database, user). */
  currentPool(): UserPool {
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
    this.sync.attached(server)
    if (this.describe.active) this.describe.attached(server)
    if (this.heldBegin !== undefined) {
      runHeldBegin(server, this.heldBegin, this.owner.id)
      this.heldBegin = undefined
    }
  }

  onDetached(server: ServerConnection): void {
    this.sync.detached(server)
  }

  onBindFailed(error: GatewayError, syncs: number): void {
    this.rewriter?.discardItems()
    // The held BEGIN's transaction never reached a server: the client is told it ended (a failed
    // statement in a block would leave it 'E', but there is nothing to roll back, and 'I' is the truth).
    this.heldBegin = undefined
    // A multi-shard binding that owes nothing outside a transaction holds its shards for nothing: give
    // them back (and cancel checkouts still under way), whether a shard failed or the request did.
    const multi = this.multi
    if (multi !== undefined && !multi.pending && multi.txnStatus === TxnStatus.Idle) this.endMulti()
    if (error.severity === 'FATAL' || syncs === 0) return this.owner.fail(toFatal(error))
    // Each pending Query or Sync gets the error and its ReadyForQuery, as if each statement had failed.
    if (!this.direct.attached && this.multi === undefined) this.timers.endTransaction() // 'I' is the truth
    this.owner.transport.write(failedRequestsReply(error, syncs))
  }

  reply(buf: Buffer, start: number, end: number): void {
    const bytes = this.sync.prepend(buf.subarray(start, end))
    if (!this.owner.transport.write(bytes)) (this.multi ?? this.direct).pause()
  }

  onReadyForQuery(status: number, done: boolean): void {
    if (this.holding) {
      this.holding = false
      queueMicrotask(() => this.owner.resumeInput()) // resume the held input once this reply is delivered
    }
    // Not done: more of the client's messages are still to be answered (a pipeline).
    if (!done) return
    if (status === TxnStatus.Idle) {
      this.timers.endTransaction()
      this.routedWrites.ended(this.pool)
    }
    if (this.multi !== undefined) {
      if (status === TxnStatus.Idle) this.endMulti()
      else this.timers.armIdleInTransaction()
    } else if (status === TxnStatus.Idle) {
      if (this.learnPosition) this.learnCommit()
      this.afterTransaction()
      this.listen?.flush()
    } else this.timers.armIdleInTransaction()
    if (status === TxnStatus.Idle) this.closeIfDraining()
  }

  /** A shutdown is under way: the client goes once this reply is delivered, if between transactions. */
  private closeIfDraining(): void {
    if (this.owner.context.draining) queueMicrotask(() => this.owner.shutdown(false))
  }

  /** The transaction that may have written ended: its position, for the client's next reads. */
  private learnCommit(): void {
    this.learnPosition = false
    const pool = this.direct.serverPool
    if (pool !== undefined) this.commits.committed(pool)
  }

  /**
   * A transaction ended (or a probe of it did): ask the server about what it may have left, or give
   * the server back, unless the client keeps it (pinned, or messages of its own still to run there).
   */
  private afterTransaction(): void {
    const server = this.direct.server
    const pins = this.pins
    if (pins === undefined || server === undefined || pins.probing || server.busy) return
    if (server.txnStatus !== TxnStatus.Idle) return
    if (pins.probe(server)) return
    if (!pins.pinned && !this.rewriter?.hasItems) this.endTransaction()
  }

  /**
   * A probe's answer is in: the transaction ends, or the client keeps its server and the server gets
   * the client's settings as the answer left them (a RESET brings back the startup value). Input held
   * meanwhile goes on.
   */
  private afterProbe(): void {
    this.afterTransaction()
    const server = this.direct.server
    if (server !== undefined && !this.pins!.probing) this.sync.reapply(server)
    if (this.holdingForProbe) {
      this.holdingForProbe = false
      queueMicrotask(() => this.owner.resumeInput())
    }
    this.listen?.flush()
    this.closeIfDraining()
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
    this.sync.reported(name, value)
  }

  /** `reported`: the server's own FATAL already reached the client; Postgres would say nothing more. */
  onServerLost(error: GatewayError, reported: boolean): void {
    if (reported) this.owner.close(error.message, EMPTY)
    else this.owner.fail(toFatal(error))
  }

  /** The client's socket can take more: resume reading the server. */
  onTransportDrain(): void {
    this.direct.resume()
    this.multi?.resume()
  }

  cancelRunningQuery(): void {
    this.direct.cancel()
    this.multi?.cancel()
  }

  /** The client left: its server goes back to the pool (or is closed), nothing waits any more. */
  close(): void {
    this.timers.clear()
    this.timers.endTransaction()
    this.multi?.close()
    const ended = !this.transactionMode ? 'session' : this.pins!.pinned ? 'pinned' : 'transaction'
    this.pins?.clientLeft()
    this.listen?.close()
    this.direct.close(ended, this.transactionQueries)
  }
}
