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
import type { PreparedCopy, StatementCache } from '../pool/statement-cache.js'
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
import type { GlobalStatement, PreparedRegistry } from './prepared-registry.js'
import { changedPlanError, DROP, prepareOn } from './statement-actions.js'

/** Name no server ever holds: closing it yields a plain CloseComplete, describing it an error. */
const ABSENT = 'skiff_absent'
const CLOSE_ABSENT = serializeClose(TARGET_STATEMENT, ABSENT)
const FLUSH = Buffer.from([FrontendCode.Flush, 0, 0, 0, 4])

/** A client's named statement. */
export interface ClientStatement {
  readonly stmt: GlobalStatement
  /**
   * The server copy the client's Parse took effect as: its shape is what the client was told. Unset
   * while the Parse was answered without a server; its first use then parses the statement anew.
   */
  copy?: PreparedCopy
}

/** A message waiting for a server, in client order. */
type Item =
  | RawRun
  | { kind: 'raw'; bytes: Buffer; code: number }
  | { kind: 'parse'; cs: ClientStatement; clientName: string }
  | { kind: 'use'; cs: ClientStatement; bytes: Buffer } // Bind or Describe of a named statement
  | { kind: 'duplicate'; bytes: Buffer } // Parse of a name the client already has: Postgres says 42P05

/** Contiguous messages needing no rewrite (Query, Sync, Execute, …): one slice, forwarded as is. */
interface RawRun {
  kind: 'run'
  buf: Buffer
  start: number
  end: number
}

/** One client's statements and the rewriting of its extended-protocol traffic. */
export class StatementRewriter {
  private readonly statements = new Map<string, ClientStatement>()
  private items: Item[] = []
  /** Syncs accepted from the client so far (sent or not). */
  private acceptedSyncs = 0
  /** Client names whose Parse no server has confirmed yet, with the batch it was accepted in. */
  private readonly unconfirmed = new Map<string, number>()
  /** A copy whose shape must be known before the next item can be sent. */
  private awaiting?: PreparedCopy

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
    this.awaiting = undefined
  }

  /** True when messages wait for a server, or for a reply before they can be sent. */
  get hasItems(): boolean {
    return this.items.length > 0
  }

  /** The bytes to send when the only thing waiting is plain messages (the hot path), else undefined. */
  takeRun(): Buffer | undefined {
    const only = this.items[0]
    if (this.items.length !== 1 || only?.kind !== 'run' || this.awaiting !== undefined) return undefined
    this.items = []
    return only.buf.subarray(only.start, only.end)
  }

  /**
   * Builds what to send to the server whose cache is `cache`: names rewritten, statements prepared where
   * needed. Stops (leaving the rest queued) where a Bind must wait for a shape; `skipping` says the
   * server discards input until a Sync, so nothing is prepared until one has been sent.
   */
  materialize(cache: StatementCache, skipping: boolean): Outgoing[] {
    const out: Outgoing[] = []
    if (this.awaiting !== undefined) return out
    const used = new Set<string>()
    for (const item of this.items)
      if (item.kind === 'parse' || item.kind === 'use') used.add(item.cs.stmt.name)
    let i = 0
    for (; i < this.items.length; i++) {
      const item = this.items[i]!
      if (skipping) {
        skipping = !this.sendPlain(out, item)
        continue
      }
      if (item.kind === 'run') out.push(item.buf.subarray(item.start, item.end))
      else if (item.kind === 'raw') out.push(item.bytes)
      else if (item.kind === 'parse') this.sendParse(out, item.cs, item.clientName, cache, used)
      else if (item.kind === 'duplicate') this.sendDuplicate(out, item.bytes)
      else if (!this.sendUse(out, item.cs, item.bytes, cache, used)) break
    }
    this.items = this.items.slice(i)
    return out
  }

  /** While the server skips to a Sync: sends an item unprepared; true once a Sync was sent. */
  private sendPlain(out: Outgoing[], item: Item): boolean {
    if (item.kind === 'run') {
      out.push(item.buf.subarray(item.start, item.end))
      return containsSync(item.buf, item.start, item.end)
    }
    // A Parse the server would skip: the client's name does not exist, as on Postgres.
    if (item.kind === 'parse') this.forget(item.clientName, item.cs)
    else out.push(item.bytes)
    return false
  }

  /** The client's Parse: parsed anew on this server, its ParseComplete (or error) the client's. */
  private sendParse(
    out: Outgoing[],
    cs: ClientStatement,
    clientName: string,
    cache: StatementCache,
    used: Set<string>,
  ): void {
    cs.copy = prepareOn(out, cs.stmt, cache, used, {
      clientParse: true,
      onParsed: () => this.unconfirmed.delete(clientName),
      onParseFailed: () => this.forget(clientName, cs),
      onShape: (copy, failed) => this.shapeKnown(copy, failed),
    })
  }

  /** A client name whose Parse failed or was skipped does not exist, as on Postgres. */
  private forget(clientName: string, cs: ClientStatement): void {
    this.unconfirmed.delete(clientName)
    if (this.statements.get(clientName) === cs) this.statements.delete(clientName)
  }

  /**
   * A Bind or Describe of the client's statement. Sends it when the server's copy has the client's
   * shape; prepares a missing copy and holds the rest (false) until the copy's shape is known; sends
   * Postgres's changed-plan error in its place when the shapes differ.
   */
  private sendUse(
    out: Outgoing[],
    cs: ClientStatement,
    bytes: Buffer,
    cache: StatementCache,
    used: Set<string>,
  ): boolean {
    const mine = cs.copy
    if (mine === undefined) {
      // Parsed without a server: it takes effect now, on this server, against today's schema.
      const copy = this.prepare(out, cs.stmt, cache, used)
      cs.copy = copy
      out.push({ bytes, action: copy })
      return true
    }
    const copy = cache.lookup(cs.stmt.name) ?? this.prepare(out, cs.stmt, cache, used)
    if (copy === mine || (copy.shape !== undefined && copy.shape === mine.shape)) {
      out.push({ bytes, action: copy })
      return true
    }
    if (copy.shape === undefined || mine.shape === undefined)
      return this.hold(out, copy.shape === undefined ? copy : mine)
    out.push(changedPlanError(ABSENT))
    return true
  }

  private prepare(
    out: Outgoing[],
    stmt: GlobalStatement,
    cache: StatementCache,
    used: Set<string>,
  ): PreparedCopy {
    return prepareOn(out, stmt, cache, used, {
      clientParse: false,
      onShape: (copy, failed) => this.shapeKnown(copy, failed),
    })
  }

  /** Ends the batch so far with a Flush (so the server answers now) and waits for `copy`'s shape. */
  private hold(out: Outgoing[], copy: PreparedCopy): boolean {
    out.push(FLUSH)
    this.awaiting = copy
    return false
  }

  private shapeKnown(copy: PreparedCopy, _failed: boolean): void {
    if (this.awaiting !== copy) return
    // On failure the server now skips to the Sync; the caller sends the rest unprepared.
    this.awaiting = undefined
    this.onResume?.()
  }

  /**
   * Lets the server itself refuse a Parse of a name in use (42P05, with Postgres's own wording): the
   * client's Parse is sent twice under its own name, the first completion dropped. The connection then
   * holds that name, so it is closed at check-in.
   */
  private sendDuplicate(out: Outgoing[], bytes: Buffer): void {
    out.push({ bytes, action: DROP }, bytes)
    this.onServerPolluted?.()
  }
}

/** True when the whole messages `buf[start, end)` include a Sync. */
function containsSync(buf: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1))
    if (buf[at] === FrontendCode.Sync) return true
  return false
}
