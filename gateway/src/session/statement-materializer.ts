/**
 * The server side of prepared-statement rewriting: turns a client's queued messages into what one
 * server route must receive (names rewritten, statements prepared where that server lacks them, Binds
 * held until a new copy's shape is known). Its state — the copy it waits for — belongs to the route,
 * not to the client, so a fan-out binding can run one per server.
 * @see statement-rewriter.ts for the rules
 * @module
 */
import type { Outgoing } from '../pool/server-conn.js'
import type { PreparedCopy, StatementCache } from '../pool/statement-cache.js'
import { FrontendCode } from '../protocol/codes.js'
import type { GlobalStatement } from './prepared-registry.js'
import { changedPlanError, DROP, prepareOn } from './statement-actions.js'

/** Name no server ever holds: closing it yields a plain CloseComplete, describing it an error. */
export const ABSENT = 'skiff_absent'
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
export type Item =
  | RawRun
  | { kind: 'raw'; bytes: Buffer; code: number }
  | { kind: 'parse'; cs: ClientStatement; clientName: string }
  | { kind: 'use'; cs: ClientStatement; bytes: Buffer } // Bind or Describe of a named statement
  | { kind: 'duplicate'; bytes: Buffer } // Parse of a name the client already has: Postgres says 42P05

/** Contiguous messages needing no rewrite (Query, Sync, Execute, …): one slice, forwarded as is. */
export interface RawRun {
  kind: 'run'
  buf: Buffer
  start: number
  end: number
}

/** The client side a route reports to (the client's statement names). */
export interface StatementOwner {
  forget(clientName: string, cs: ClientStatement): void
  confirmed(clientName: string): void
  /** The held items can be sent now (called from a reply: defer the send). */
  resume(): void
  /** The server now holds a statement under a client's own name. */
  polluted(): void
}

/** One server route's materialization of a client's messages. */
export class StatementMaterializer {
  /** A copy whose shape must be known before the next item can be sent. */
  awaiting?: PreparedCopy
  /** How many items the last materialize() consumed (a field, not a result object: no allocation per call). */
  taken = 0

  constructor(private readonly owner: StatementOwner) {}

  /**
   * Builds what to send to the server whose cache is `cache`: names rewritten, statements prepared where
   * needed. Stops (leaving the rest queued) where a Bind must wait for a shape; `skipping` says the
   * server discards input until a Sync, so nothing is prepared until one has been sent. How many of
   * `items` it consumed is left in `taken`.
   */
  materialize(items: readonly Item[], cache: StatementCache, skipping: boolean): Outgoing[] {
    const out: Outgoing[] = []
    this.taken = 0
    if (this.awaiting !== undefined) return out
    const used = new Set<string>()
    for (const item of items) if (item.kind === 'parse' || item.kind === 'use') used.add(item.cs.stmt.name)
    let i = 0
    for (; i < items.length; i++) {
      const item = items[i]!
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
    this.taken = i
    return out
  }

  /** While the server skips to a Sync: sends an item unprepared; true once a Sync was sent. */
  private sendPlain(out: Outgoing[], item: Item): boolean {
    if (item.kind === 'run') {
      out.push(item.buf.subarray(item.start, item.end))
      return containsSync(item.buf, item.start, item.end)
    }
    // A Parse the server would skip: the client's name does not exist, as on Postgres.
    if (item.kind === 'parse') this.owner.forget(item.clientName, item.cs)
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
      onParsed: () => this.owner.confirmed(clientName),
      onParseFailed: () => this.owner.forget(clientName, cs),
      onShape: (copy, failed) => this.shapeKnown(copy, failed),
    })
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
    this.owner.resume()
  }

  /**
   * Lets the server itself refuse a Parse of a name in use (42P05, with Postgres's own wording): the
   * client's Parse is sent twice under its own name, the first completion dropped. The connection then
   * holds that name, so it is closed at check-in.
   */
  private sendDuplicate(out: Outgoing[], bytes: Buffer): void {
    out.push({ bytes, action: DROP }, bytes)
    this.owner.polluted()
  }
}

/** True when the whole messages `buf[start, end)` include a Sync. */
function containsSync(buf: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1))
    if (buf[at] === FrontendCode.Sync) return true
  return false
}
