/**
 * The query phase of a logged-in client, its input side: it walks the client's message headers, cuts
 * them into requests (the first message of a transaction is the one the router reads), keeps the state
 * they drive and answers what the gateway answers itself; transaction-bindings.ts serves the rest. It
 * forwards runs of messages as they are and decodes only what drives state (cleanup keywords, the
 * prepared statements it renames).
 * @module
 */
import { Cleanup, cleanupFromText } from '../pool/cleanup-state.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import { FrontendCode, isFrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import type { CommitPosition } from './commit-position.js'
import { collectCustomNames, onlyLocalSetConfig, startsWithSet } from './custom-settings.js'
import { deallocateReply, prepareReply } from './local-replies.js'
import { invalidMessage, opensBatch, type QueryPhaseOwner } from './query-phase-support.js'
import { routingCommandReply } from './routing-commands.js'
import { StatementRewriter } from './statement-rewriter.js'
import { TransactionBindings } from './transaction-bindings.js'

/** Reads a logged-in client's requests. */
export class QueryPhase {
  queryCount = 0
  /** Renames protocol-level prepared statements (transaction mode with a statement cache). */
  private readonly rewriter?: StatementRewriter
  private readonly bindings: TransactionBindings

  constructor(
    private readonly owner: QueryPhaseOwner,
    pool: UserPool,
  ) {
    if (pool.poolMode === 'transaction' && pool.preparedStatementsCacheSize > 0)
      this.rewriter = new StatementRewriter(owner.context.preparedStatements)
    this.bindings = new TransactionBindings(owner, pool, this.rewriter)
  }

  /** read_your_writes: where the client's last commit is. */
  get commits(): CommitPosition {
    return this.bindings.commits
  }

  /** True while the client holds a server connection (or several shards'). */
  get active(): boolean {
    return this.bindings.direct.server !== undefined || this.bindings.multi !== undefined
  }

  get transactionCount(): number {
    return this.bindings.transactionCount
  }

  /** Nothing of the client's runs or waits, and it is not in a transaction. */
  get betweenTransactions(): boolean {
    return this.bindings.betweenTransactions
  }

  /** Client bytes arrived: an idle-in-transaction client is idle no more. */
  onInput(): void {
    this.bindings.timers.clear()
  }

  /** Walks message headers, keeps state, forwards runs of messages. */
  read(f: MessageFramer): void {
    const rw = this.rewriter
    const b = this.bindings
    // A probe of the last transaction is under way: what comes next must see its answer.
    if (b.pins?.probing) {
      b.holdingForProbe = true
      return
    }
    if (b.holdingForListen) return // resumed once the listener answered the LISTEN
    if (b.describe.active) {
      b.describe.holdingInput = true // resumed once the gateway's Sync closed the described batch
      return
    }
    let runStart = -1
    let syncs = 0
    let last = -1
    while (f.next()) {
      const code = f.code
      if (rw?.mustWait(code, f.buffer, f.start, f.end)) {
        f.rewind()
        this.bindings.holding = true
        break
      }
      if (code === FrontendCode.Query) {
        if (runStart < 0 && this.answerListen(f)) {
          if (b.holdingForListen) return
          continue
        }
        if (runStart < 0 && !rw?.hasItems && this.answerRouting(f)) continue
        if (rw !== undefined && this.answerDeallocate(rw, f)) continue
        syncs++
        this.countQuery(f)
        const swap = b.bound ? b.shardMismatch(f.buffer, f.start, f.end) : undefined
        if (swap !== undefined) {
          // Its key names another shard than the transaction's: a failing statement runs instead.
          last = code
          if (rw !== undefined) rw.accept(code, swap, 0, swap.length)
          else {
            if (runStart >= 0) b.forward(f.buffer.subarray(runStart, f.start), syncs - 1)
            b.forward(swap, 1)
            runStart = -1
            syncs = 0
          }
          continue
        }
      } else if (code === FrontendCode.Sync || code === FrontendCode.FunctionCall) {
        if (code === FrontendCode.Sync && rw !== undefined && this.answerPrepare(rw)) continue
        syncs++
      } else if (code === FrontendCode.Parse) this.countQuery(f)
      else if (code === FrontendCode.Bind || code === FrontendCode.Close)
        b.noteWrite(code, f.buffer, f.start, f.end)
      else if (code === FrontendCode.Terminate) {
        if (runStart >= 0) b.forward(f.buffer.subarray(runStart, f.start), syncs)
        else if (rw?.hasItems) b.forward(undefined, syncs)
        return this.owner.close('client sent Terminate')
      } else if (!isFrontendCode(code) || code === FrontendCode.Password) throw invalidMessage(code)
      // The first message of a transaction is its request: what the router reads.
      if (last < 0 && !b.bound) b.request.set(code, f.buffer, f.start, f.end)
      else if (!b.bound) b.request.follow(code, f.buffer, f.start, f.end)
      last = code
      if (rw !== undefined) rw.accept(code, f.buffer, f.start, f.end)
      else if (runStart < 0) runStart = f.start
    }
    if (last >= 0) b.openBatch = opensBatch(last)
    if (runStart >= 0) b.forward(f.buffer.subarray(runStart, f.buffer.length - f.pending), syncs)
    else if (rw?.hasItems) b.forward(undefined, syncs)
  }

  private countQuery(f: MessageFramer): void {
    const b = this.bindings
    this.queryCount++
    b.transactionQueries++
    b.noteWrite(f.code, f.buffer, f.start, f.end)
    if (!b.transactionMode) return
    let flags = cleanupFromText(f.buffer, f.start + 5, f.end)
    const set = startsWithSet(f.buffer, f.start + 5, f.end)
    if (flags & Cleanup.Set || set) {
      const text = f.buffer.toString('utf8', f.start + 5, f.end - 1)
      collectCustomNames(text, this.owner.settings.customNames)
      // set_config(..., true) only: nothing outlives the transaction, no probe needed for it.
      if (!set && onlyLocalSetConfig(text)) flags &= ~Cleanup.Set
    }
    b.direct.addCleanup(flags)
  }

  /** Answers a lone LISTEN or UNLISTEN between transactions (see listen-requests.ts). */
  private answerListen(f: MessageFramer): boolean {
    const b = this.bindings
    const listen = b.listen
    if (listen === undefined || this.rewriter?.hasItems || !b.canAnswerLocally()) return false
    if (b.txnStatus !== TxnStatus.Idle) return false // inside a transaction: the server's, at commit
    return listen.take(f.buffer, f.start, f.end)
  }

  /** Answers PgCat's SET/SHOW SERVER ROLE and PRIMARY READS between transactions (routing-commands.ts). */
  private answerRouting(f: MessageFramer): boolean {
    const b = this.bindings
    if (b.bound || !b.canAnswerLocally() || b.txnStatus !== TxnStatus.Idle) return false
    const reply = routingCommandReply(
      f.buffer,
      f.start,
      f.end,
      this.owner.routing,
      b.currentPool(),
      TxnStatus.Idle,
    )
    if (reply !== undefined) b.local.answer(reply, TxnStatus.Idle)
    return reply !== undefined
  }

  /** Answers a lone DEALLOCATE of the client's own statements (see local-replies.ts). */
  private answerDeallocate(rw: StatementRewriter, f: MessageFramer): boolean {
    // Not after SQL PREPARE pinned the client (the server holds its SQL-level statements), and not
    // behind messages still queued in the rewriter.
    const b = this.bindings
    if (!b.sharing || rw.hasItems || !b.canAnswerLocally()) return false
    const status = b.txnStatus
    const reply = deallocateReply(rw, f.buffer, f.start, f.end, status)
    if (reply === undefined) return false
    b.noteDeallocate(f.buffer, f.start, f.end)
    b.local.answer(reply, status)
    return true
  }

  /** Answers a lone Parse + Sync of an already accepted statement (see StatementRewriter.takeLocalPrepare). */
  private answerPrepare(rw: StatementRewriter): boolean {
    const b = this.bindings
    if (!b.canAnswerLocally()) return false // takeLocalPrepare checks that the Parse is all that is queued
    const status = b.txnStatus
    const reply = prepareReply(rw, status)
    if (reply === undefined) return false
    b.local.answer(reply, status)
    return true
  }

  onTransportDrain(): void {
    this.bindings.onTransportDrain()
  }

  /** Session mode: the server the login lent the client serves it from the start. */
  adopt(server: ServerConnection, pool: ServerPool): void {
    this.bindings.adopt(server, pool)
  }

  cancelRunningQuery(): void {
    this.bindings.cancelRunningQuery()
  }

  /** The client left: its servers go back to their pools (or are closed), nothing waits any more. */
  close(): void {
    this.bindings.close()
  }
}
