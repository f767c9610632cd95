/**
 * Protocol-level prepared statements in transaction mode. A client's named statements are renamed to
 * gateway-wide names (PreparedRegistry) and prepared on whichever server connection its transaction
 * lands on. What the client sees stays what Postgres would have sent it:
 * - a client's Parse always takes effect on the server: the statement is parsed anew there (Close,
 *   Parse, and a Describe whose replies only the gateway sees), never answered from an older copy;
 * - a statement the server lacks is prepared by injected messages whose replies are dropped;
 * - each client statement remembers the result shape of the copy its Parse created, and each server
 *   copy its own; where they differ (a column changed type since) the client gets Postgres's `0A000
 *   cached plan must not change result type` instead of rows of another type, and where the server's
 *   copy is new, the client's Bind waits (a Flush's round trip) until its shape is known;
 * - a client Close of a statement is sent as a Close of a name no server holds, which Postgres answers
 *   with CloseComplete, so nothing shared is closed.
 * Replies are matched to messages by the server connection (protocol/outstanding.ts), through the
 * reply action each injected message carries.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @module
 */
import type { Outgoing } from '../pool/server-conn.js'
import type { StatementCache } from '../pool/statement-cache.js'
import { FrontendCode } from '../protocol/codes.js'
import {
  readBindStatement,
  readParseName,
  readTarget,
  rewriteBind,
  serializeClose,
  serializeDescribe,
  TARGET_STATEMENT,
} from '../protocol/extended.js'
import type { StatementInfo } from '../sql/index.js'
import { type PreparedRegistry, statementInfo } from './prepared-registry.js'
import {
  ABSENT,
  type ClientStatement,
  type Item,
  StatementMaterializer,
  type StatementOwner,
} from './statement-materializer.js'

const CLOSE_ABSENT = serializeClose(TARGET_STATEMENT, ABSENT)

/** One client's statements and the rewriting of its extended-protocol traffic. */
export class StatementRewriter implements StatementOwner {
  private readonly statements = new Map<string, ClientStatement>()
  private items: Item[] = []
  /** Syncs accepted from the client so far (sent or not). */
  private acceptedSyncs = 0
  /** Client names whose Parse no server has confirmed yet, with the batch it was accepted in. */
  private readonly unconfirmed = new Map<string, number>()
  /** The server route's side: what it waits for before sending more (see statement-materializer.ts). */
  private readonly route = new StatementMaterializer(this)

  /** Set by the session: the held items can be sent now (called from a reply; defer the send). */
  onResume?: () => void
  /** Set by the session: the current server now holds a statement under a client's own name. */
  onServerPolluted?: () => void

  constructor(private readonly registry: PreparedRegistry) {}

  /** Takes one client message. */
  accept(code: number, buf: Buffer, start: number, end: number): void {
    if (code === FrontendCode.Parse) return this.acceptParse(buf, start, end)
    if (code === FrontendCode.Bind) return this.acceptBind(buf, start, end)
    if (code === FrontendCode.Describe || code === FrontendCode.Close) {
      const { type, name } = readTarget(buf, start, end)
      if (type === TARGET_STATEMENT && name !== '')
        return this.acceptTarget(code, name, buf.subarray(start, end))
    }
    this.acceptRun(code, buf, start, end)
  }

  /**
   * The hot path (simple Query, Execute, Sync, and unnamed statements and portals, which need no
   * rewriting): extend the last slice instead of adding an item. Replies need no matching here: the
   * server connection matches every reply to its message (protocol/outstanding.ts).
   */
  private acceptRun(code: number, buf: Buffer, start: number, end: number): void {
    if (code === FrontendCode.Sync || code === FrontendCode.Query || code === FrontendCode.FunctionCall)
      this.acceptedSyncs++
    const last = this.items[this.items.length - 1]
    if (last?.kind === 'run' && last.buf === buf && last.end === start) last.end = end
    else this.items.push({ kind: 'run', buf, start, end })
  }

  private acceptBind(buf: Buffer, start: number, end: number): void {
    const name = readBindStatement(buf, start, end).name
    const cs = this.statements.get(name)
    if (cs !== undefined) {
      return void this.items.push({ kind: 'use', cs, bytes: rewriteBind(buf, start, end, cs.stmt.name) })
    }
    // Never let a client reach a statement the gateway prepared for others by naming it. Unnamed or
    // unknown names go through unchanged: Postgres answers them itself (26000 if unknown).
    if (!this.isGatewayName(name)) return this.acceptRun(FrontendCode.Bind, buf, start, end)
    this.items.push({ kind: 'raw', bytes: rewriteBind(buf, start, end, ABSENT), code: FrontendCode.Bind })
  }

  /** Names the gateway itself prepares or uses on servers; a client that never prepared one must not reach it. */
  private isGatewayName(name: string): boolean {
    return name.startsWith(this.registry.prefix) || name === ABSENT
  }

  private acceptParse(buf: Buffer, start: number, end: number): void {
    const { name, bodyStart } = readParseName(buf, start, end)
    if (name === '') return this.acceptRun(FrontendCode.Parse, buf, start, end)
    if (this.statements.has(name))
      return void this.items.push({ kind: 'duplicate', bytes: buf.subarray(start, end) })
    const cs: ClientStatement = { stmt: this.registry.lookup(buf.subarray(bodyStart, end)) }
    this.statements.set(name, cs)
    this.unconfirmed.set(name, this.acceptedSyncs)
    this.items.push({ kind: 'parse', cs, clientName: name })
  }

  private acceptTarget(code: number, name: string, original: Buffer): void {
    const cs = this.statements.get(name)
    if (code === FrontendCode.Close) {
      // Only this client's view changes; the server keeps the shared statement for others.
      this.statements.delete(name)
      this.items.push({ kind: 'raw', bytes: CLOSE_ABSENT, code })
    } else if (cs !== undefined) {
      this.items.push({ kind: 'use', cs, bytes: serializeDescribe(TARGET_STATEMENT, cs.stmt.name) })
    } else {
      const bytes = this.isGatewayName(name) ? serializeDescribe(TARGET_STATEMENT, ABSENT) : original
      this.items.push({ kind: 'raw', bytes, code })
    }
  }

  /**
   * True when a Bind or Describe names a statement whose Parse, in an earlier batch, no server has
   * confirmed yet: if that Parse fails, Postgres would answer this one with 26000, so the caller holds
   * the client's input until the earlier batch's ReadyForQuery.
   */
  mustWait(code: number, buf: Buffer, start: number, end: number): boolean {
    if (this.unconfirmed.size === 0) return false
    let name: string
    if (code === FrontendCode.Bind) name = readBindStatement(buf, start, end).name
    else if (code === FrontendCode.Describe) name = readTarget(buf, start, end).name
    else return false
    const batch = this.unconfirmed.get(name)
    return batch !== undefined && batch < this.acceptedSyncs
  }

  /** True when the client has a protocol-level statement of that name. */
  knows(name: string): boolean {
    return this.statements.has(name)
  }

  /** Forgets statements, as DEALLOCATE does (`undefined`: all of them). */
  deallocate(name: string | undefined): void {
    if (name === undefined) {
      this.statements.clear()
      this.unconfirmed.clear()
    } else {
      this.statements.delete(name)
      this.unconfirmed.delete(name)
    }
  }

  /**
   * At a Sync: when the batch is one Parse of a statement some server already accepted, the client
   * needs no server for it. Returns true and forgets the batch; the caller answers ParseComplete and
   * ReadyForQuery. The statement is parsed anew on its first use (its copy is unset), so it still takes
   * effect against the schema of that moment. Besides saving a round trip, this keeps clients that
   * prepare synchronously while others hold every server (pgbench -M prepared) moving.
   */
  takeLocalPrepare(): boolean {
    const only = this.items[0]
    if (this.items.length !== 1 || only?.kind !== 'parse' || !only.cs.stmt.validated) return false
    this.items = []
    this.unconfirmed.delete(only.clientName)
    return true
  }

  /** Drops messages that will never be sent (the checkout failed; the client got an error). */
  discardItems(): void {
    this.items = []
    this.route.awaiting = undefined
  }

  /** True when messages wait for a server, or for a reply before they can be sent. */
  get hasItems(): boolean {
    return this.items.length > 0
  }

  /** What the client's statement `name` does (classified once per statement), or undefined if unknown. */
  statementInfo(name: string): StatementInfo | undefined {
    const cs = this.statements.get(name)
    return cs === undefined ? undefined : statementInfo(cs.stmt)
  }

  /** The Parse body (text, NUL, parameter types) of the client's statement `name`, if it has one. */
  statementBody(name: string): Buffer | undefined {
    return this.statements.get(name)?.stmt.body
  }

  /** The plain messages waiting when they are all there is, left in place; else undefined. */
  peekRun(): Buffer | undefined {
    const only = this.items[0]
    if (this.items.length !== 1 || only?.kind !== 'run' || this.route.awaiting !== undefined) return undefined
    return only.buf.subarray(only.start, only.end)
  }

  /** The bytes to send when the only thing waiting is plain messages (the hot path), else undefined. */
  takeRun(): Buffer | undefined {
    const only = this.items[0]
    if (this.items.length !== 1 || only?.kind !== 'run' || this.route.awaiting !== undefined) return undefined
    this.items = []
    return only.buf.subarray(only.start, only.end)
  }

  /**
   * Builds what to send to the server whose cache is `cache`: names rewritten, statements prepared where
   * needed (see statement-materializer.ts). Stops, leaving the rest queued, where a Bind must wait for a
   * shape; `skipping` says the server discards input until a Sync.
   */
  materialize(cache: StatementCache, skipping: boolean): Outgoing[] {
    const out = this.route.materialize(this.items, cache, skipping)
    const taken = this.route.taken
    this.items = taken === this.items.length ? [] : this.items.slice(taken)
    return out
  }

  /** A client name whose Parse failed or was skipped does not exist, as on Postgres. */
  forget(clientName: string, cs: ClientStatement): void {
    this.unconfirmed.delete(clientName)
    if (this.statements.get(clientName) === cs) this.statements.delete(clientName)
  }

  /** A server accepted the client's Parse of `clientName`. */
  confirmed(clientName: string): void {
    this.unconfirmed.delete(clientName)
  }

  /** The server route's held messages may go now. */
  resume(): void {
    this.onResume?.()
  }

  /** The server now holds a statement under the client's own name. */
  polluted(): void {
    this.onServerPolluted?.()
  }
}
