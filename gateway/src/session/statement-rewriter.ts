/**
 * Protocol-level prepared statements in transaction mode. A client's named statements are renamed to
 * gateway-wide names (PreparedRegistry) and prepared on whichever server connection its transaction
 * lands on. What the client sees stays what Postgres would have sent it:
 * - a statement the server lacks is prepared by an injected Close + Parse whose replies are dropped;
 * - a client Parse of a statement the server already holds is sent under a scratch name and closed
 *   again, so the client gets the server's own ParseComplete (or error) in order;
 * - a client Close of a statement is sent as a Close of a name no server holds, which Postgres answers
 *   with CloseComplete, so nothing shared is closed.
 * Replies are matched to requests by the order of ParseComplete and CloseComplete; an ErrorResponse
 * voids every Parse and Close sent after it up to its Sync, as the server skips them.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @module
 */
import type { StatementCache } from '../pool/statement-cache.js'
import { BackendCode, FrontendCode } from '../protocol/codes.js'
import {
  readBindStatement,
  readParseName,
  readTarget,
  rewriteBind,
  serializeClose,
  serializeDescribe,
  serializeParse,
  TARGET_STATEMENT,
} from '../protocol/extended.js'
import type { GlobalStatement, PreparedRegistry } from './prepared-registry.js'

/** Name no server ever holds: closing it yields a plain CloseComplete. */
const ABSENT = 'skiff_absent'
/** Scratch name for a client Parse whose statement the server already holds. */
const SCRATCH = 'skiff_scratch'
const CLOSE_ABSENT = serializeClose(TARGET_STATEMENT, ABSENT)
const CLOSE_SCRATCH = serializeClose(TARGET_STATEMENT, SCRATCH)

/** A message waiting for a server, in client order. */
type Item =
  | RawRun
  | { kind: 'raw'; bytes: Buffer; code: number }
  | { kind: 'parse'; stmt: GlobalStatement; clientName: string }
  | { kind: 'use'; stmt: GlobalStatement; bytes: Buffer } // Bind or Describe of a named statement
  | { kind: 'duplicate'; bytes: Buffer } // Parse of a name the client already has: Postgres says 42P05

/** Contiguous messages needing no rewrite nor tracking (Query, Sync, Execute, …): one slice, forwarded as is. */
interface RawRun {
  kind: 'run'
  buf: Buffer
  start: number
  end: number
  syncs: number
}

/** A sent Parse or Close whose completion message is still to come. */
interface Pending {
  drop: boolean
  /** Syncs sent before it: an error in that batch voids it. */
  batch: number
  /** Parse of this statement into the server's cache: on failure, the server does not hold it. */
  cached?: GlobalStatement
  /** The client's own Parse: on failure, the client's name does not exist either. */
  clientName?: string
  clientStmt?: GlobalStatement
}

/** One client's statements and the rewriting of its extended-protocol traffic. */
export class StatementRewriter {
  private readonly statements = new Map<string, GlobalStatement>()
  private items: Item[] = []
  private readonly pending: Pending[] = []
  private syncsSent = 0
  private syncsReplied = 0
  /** Syncs accepted from the client so far (sent or not). */
  private acceptedSyncs = 0
  /** Client names whose Parse no server has confirmed yet, with the batch it was accepted in. */
  private readonly unconfirmed = new Map<string, number>()

  constructor(private readonly registry: PreparedRegistry) {}

  /** Takes one client message. */
  accept(code: number, buf: Buffer, start: number, end: number): void {
    if (code === FrontendCode.Parse) return this.acceptParse(buf, start, end)
    if (code !== FrontendCode.Bind && code !== FrontendCode.Describe && code !== FrontendCode.Close) {
      return this.acceptRun(code, buf, start, end)
    }
    if (code === FrontendCode.Bind) {
      const name = readBindStatement(buf, start, end).name
      const stmt = this.statements.get(name)
      if (stmt !== undefined) {
        return void this.items.push({ kind: 'use', stmt, bytes: rewriteBind(buf, start, end, stmt.name) })
      }
      // Never let a client reach a statement the gateway prepared for others by naming it.
      if (this.isGatewayName(name)) {
        return void this.items.push({ kind: 'raw', bytes: rewriteBind(buf, start, end, ABSENT), code })
      }
    } else if (code === FrontendCode.Describe || code === FrontendCode.Close) {
      const { type, name } = readTarget(buf, start, end)
      if (type === TARGET_STATEMENT && name !== '')
        return this.acceptTarget(code, name, buf.subarray(start, end))
    }
    // Unnamed or unknown names go through unchanged: Postgres answers them itself (26000 if unknown).
    this.items.push({ kind: 'raw', bytes: buf.subarray(start, end), code })
  }

  /** The hot path (simple Query, Execute, Sync): extend the last slice instead of adding an item. */
  private acceptRun(code: number, buf: Buffer, start: number, end: number): void {
    const sync =
      code === FrontendCode.Sync || code === FrontendCode.Query || code === FrontendCode.FunctionCall ? 1 : 0
    const last = this.items[this.items.length - 1]
    this.acceptedSyncs += sync
    if (last?.kind === 'run' && last.buf === buf && last.end === start) {
      last.end = end
      last.syncs += sync
    } else this.items.push({ kind: 'run', buf, start, end, syncs: sync })
  }

  /** Names the gateway itself prepares or uses on servers; a client that never prepared one must not reach it. */
  private isGatewayName(name: string): boolean {
    return name.startsWith(this.registry.prefix) || name === SCRATCH || name === ABSENT
  }

  private acceptParse(buf: Buffer, start: number, end: number): void {
    const { name, bodyStart } = readParseName(buf, start, end)
    if (name === '')
      return void this.items.push({ kind: 'raw', bytes: buf.subarray(start, end), code: FrontendCode.Parse })
    if (this.statements.has(name))
      return void this.items.push({ kind: 'duplicate', bytes: buf.subarray(start, end) })
    const stmt = this.registry.lookup(buf.subarray(bodyStart, end))
    this.statements.set(name, stmt)
    this.unconfirmed.set(name, this.acceptedSyncs)
    this.items.push({ kind: 'parse', stmt, clientName: name })
  }

  private acceptTarget(code: number, name: string, original: Buffer): void {
    const stmt = this.statements.get(name)
    if (code === FrontendCode.Close) {
      // Only this client's view changes; the server keeps the shared statement for others.
      this.statements.delete(name)
      this.items.push({ kind: 'raw', bytes: CLOSE_ABSENT, code })
    } else if (stmt !== undefined) {
      this.items.push({ kind: 'use', stmt, bytes: serializeDescribe(TARGET_STATEMENT, stmt.name) })
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

  /** Set by the session: the current server now holds a statement under a client's own name. */
  onServerPolluted?: () => void

  /**
   * At a Sync: when the batch is one Parse of a statement some server already accepted, the client
   * needs no server for it (its statement is prepared where it is used). Returns true and forgets the
   * batch; the caller answers ParseComplete and ReadyForQuery. Besides saving a round trip, this keeps
   * clients that prepare synchronously while others hold every server (pgbench -M prepared) moving.
   */
  takeLocalPrepare(): boolean {
    const only = this.items[0]
    if (this.items.length !== 1 || only?.kind !== 'parse' || !only.stmt.validated) return false
    this.items = []
    this.unconfirmed.delete(only.clientName)
    return true
  }

  /** Drops messages that will never be sent (the checkout failed; the client got an error). */
  discardItems(): void {
    this.items = []
  }

  /** True when messages wait for a server. */
  get hasItems(): boolean {
    return this.items.length > 0
  }

  /** Builds the bytes for `cache`'s server: injected Parses first where needed, names rewritten. */
  materialize(cache: StatementCache): Buffer {
    const only = this.items[0]
    if (this.items.length === 1 && only?.kind === 'run') {
      this.items = []
      this.syncsSent += only.syncs
      return only.buf.subarray(only.start, only.end)
    }
    const out: Buffer[] = []
    const used = new Set<string>()
    for (const item of this.items) if (item.kind === 'parse' || item.kind === 'use') used.add(item.stmt.name)
    for (const item of this.items) {
      if (item.kind === 'run') {
        out.push(item.buf.subarray(item.start, item.end))
        this.syncsSent += item.syncs
      } else if (item.kind === 'raw') this.sendRaw(out, item)
      else if (item.kind === 'parse') this.sendParse(out, item.stmt, item.clientName, cache, used)
      else if (item.kind === 'duplicate') this.sendDuplicate(out, item.bytes)
      else {
        if (!cache.lookup(item.stmt.name)) this.prepare(out, item.stmt, true, undefined, cache, used)
        out.push(item.bytes)
      }
    }
    this.items = []
    return out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  private sendRaw(out: Buffer[], item: { bytes: Buffer; code: number }): void {
    out.push(item.bytes)
    const c = item.code
    if (c === FrontendCode.Parse || c === FrontendCode.Close) this.expect(false)
    else if (c === FrontendCode.Sync || c === FrontendCode.Query || c === FrontendCode.FunctionCall)
      this.syncsSent++
  }

  /**
   * Lets the server itself refuse a Parse of a name in use (42P05, with Postgres's own wording): the
   * client's Parse is sent twice under its own name, the first completion dropped. The connection then
   * holds that name, so it is closed at check-in.
   */
  private sendDuplicate(out: Buffer[], bytes: Buffer): void {
    out.push(bytes, bytes)
    this.expect(true)
    this.expect(false)
    this.onServerPolluted?.()
  }

  private sendParse(
    out: Buffer[],
    stmt: GlobalStatement,
    clientName: string,
    cache: StatementCache,
    used: Set<string>,
  ): void {
    if (!cache.has(stmt.name)) return this.prepare(out, stmt, false, clientName, cache, used)
    // The server already holds it: let Postgres answer this Parse itself under a scratch name.
    out.push(serializeParse(SCRATCH, stmt.body), CLOSE_SCRATCH)
    this.pending.push({ drop: false, batch: this.syncsSent, clientName, clientStmt: stmt })
    this.expect(true)
  }

  /** Close (dropped) + Parse of `stmt`; the Close clears any copy our cache lost track of. */
  private prepare(
    out: Buffer[],
    stmt: GlobalStatement,
    drop: boolean,
    clientName: string | undefined,
    cache: StatementCache,
    used: Set<string>,
  ): void {
    for (const evicted of cache.add(stmt.name, used)) {
      out.push(serializeClose(TARGET_STATEMENT, evicted))
      this.expect(true)
    }
    out.push(serializeClose(TARGET_STATEMENT, stmt.name), serializeParse(stmt.name, stmt.body))
    this.expect(true)
    this.pending.push({ drop, batch: this.syncsSent, cached: stmt, clientName, clientStmt: stmt })
  }

  private expect(drop: boolean): void {
    this.pending.push({ drop, batch: this.syncsSent })
  }

  /** True while replies must be inspected (a Parse or Close awaits its completion). */
  get filtering(): boolean {
    return this.pending.length > 0
  }

  /**
   * Passes the replies `buf[start, end)` to `write`, minus the completions of injected messages.
   * Only called while `filtering`.
   */
  filter(buf: Buffer, start: number, end: number, write: (bytes: Buffer) => void): void {
    let runStart = start
    for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1)) {
      const code = buf[at]
      if (code === BackendCode.ParseComplete || code === BackendCode.CloseComplete) {
        const head = this.pending.shift()
        const parsed = head?.cached ?? head?.clientStmt
        if (parsed !== undefined) parsed.validated = true
        if (head?.clientName !== undefined) this.unconfirmed.delete(head.clientName)
        if (head?.drop) {
          if (at > runStart) write(buf.subarray(runStart, at))
          runStart = at + 5
        }
      } else if (code === BackendCode.ErrorResponse) this.voidBatch()
    }
    if (end > runStart) write(buf.subarray(runStart, end))
  }

  /** After an error the server skips to Sync: Parses and Closes of that batch never happen. */
  private voidBatch(): void {
    while (this.pending.length > 0 && this.pending[0]!.batch === this.syncsReplied) {
      const p = this.pending.shift()!
      if (p.cached !== undefined) this.onParseFailed?.(p.cached)
      if (p.clientName === undefined) continue
      this.unconfirmed.delete(p.clientName)
      if (this.statements.get(p.clientName) === p.clientStmt) this.statements.delete(p.clientName)
    }
  }

  /** Set by the session: the current server's cache must forget a statement whose Parse failed. */
  onParseFailed?: (stmt: GlobalStatement) => void

  /** Called at each ReadyForQuery of this client's replies. */
  onReadyForQuery(): void {
    this.syncsReplied++
  }
}
