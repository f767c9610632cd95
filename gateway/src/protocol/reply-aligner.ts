/**
 * The several-server core of the reply merger (reply-merger.ts states the rules): lines the servers'
 * aligned replies up, streams what may go out, holds what may not yet, and drops the rest of a request
 * after its first error. One explicit state per request (Phase) and one per server (waiting or not).
 * @see https://www.postgresql.org/docs/current/protocol-flow.html
 * @module
 */
import { isFatalError } from './backend-decode.js'
import { ByteRangeQueue } from './byte-range-queue.js'
import { BackendCode as B } from './codes.js'
import { combineReplies } from './combine-replies.js'
import type { OutputRun } from './output-run.js'

/** Where the merged stream is in the current request (the replies up to one ReadyForQuery). */
const Phase = {
  /** Aligned replies go out as every server sends them. */
  Merging: 0,
  /** An error went out: every server's replies are dropped up to its ReadyForQuery. */
  Dropping: 1,
  /** A FATAL went out or the merge was stopped: nothing more goes out. */
  Stopped: 2,
} as const
type Phase = (typeof Phase)[keyof typeof Phase]

/** How a backend message moves through the merge. */
const Kind = { Aligned: 0, Streamed: 1, Notification: 2, ParameterStatus: 3, Error: 4 } as const
const KIND = new Uint8Array(256) // Kind.Aligned unless listed
KIND[B.DataRow] = KIND[B.CopyData] = KIND[B.NoticeResponse] = Kind.Streamed
KIND[B.NotificationResponse] = Kind.Notification
KIND[B.ParameterStatus] = Kind.ParameterStatus
KIND[B.ErrorResponse] = Kind.Error

const EMPTY: Buffer = Buffer.alloc(0)

/** One server's side of the merge. */
class ServerSide {
  /** Its next aligned reply waits in `slot` for the other servers' own; its input is held meanwhile. */
  waiting = false
  slot = EMPTY
  slotStart = 0
  slotEnd = 0
  /** Input received while waiting, in order. */
  readonly held = new ByteRangeQueue()
}

/** What the aligner tells its owner. */
export interface AlignerEvents {
  /** A ReadyForQuery with transaction status `status` went out. */
  ready(status: number): void
  /** A server's FATAL went out: the aligner stopped. */
  fatal(): void
}

/** Merges the replies of `names.length` (two or more) servers into `out`. */
export class ReplyAligner {
  private readonly servers: ServerSide[]
  private phase: Phase = Phase.Merging
  private waitingCount = 0

  constructor(
    private readonly names: readonly string[],
    private readonly out: OutputRun,
    private readonly events: AlignerEvents,
  ) {
    this.servers = names.map(() => new ServerSide())
  }

  /** Nothing is waiting, held or being dropped. */
  get idle(): boolean {
    return this.phase === Phase.Merging && this.waitingCount === 0 && !this.holding()
  }

  /** Bytes of server `i` held because it is ahead of the others. */
  heldBytes(i: number): number {
    return this.servers[i]!.held.bytes
  }

  /** Takes server `i`'s whole messages in `buf[start, end)`; output goes to `out` (not flushed). */
  push(i: number, buf: Buffer, start: number, end: number): void {
    const side = this.servers[i]!
    if (this.phase === Phase.Stopped) return
    if (side.waiting) return side.held.push(buf, start, end)
    const stop = this.read(i, buf, start, end)
    if (!this.stopped()) side.held.push(buf, stop, end)
    this.settle()
  }

  /** Drops everything held; nothing more goes out. */
  stop(): void {
    this.phase = Phase.Stopped
    for (const s of this.servers) s.held.clear()
  }

  private stopped(): boolean {
    return this.phase === Phase.Stopped
  }

  /** Reads server `i`'s messages while it is level with the output; returns where it stopped. */
  private read(i: number, buf: Buffer, start: number, end: number): number {
    const side = this.servers[i]!
    let at = start
    while (at < end && !side.waiting && !this.stopped()) {
      const next = messageEnd(buf, at, end)
      switch (KIND[buf[at]!]) {
        case Kind.Streamed:
          if (this.phase === Phase.Merging) this.out.add(buf, at, next)
          break
        case Kind.Notification:
          this.out.add(buf, at, next)
          break
        case Kind.ParameterStatus:
          if (i === 0) this.out.add(buf, at, next)
          break
        case Kind.Error:
          this.onError(buf, at, next)
          break
        default:
          this.onAligned(side, buf, at, next)
      }
      at = next
    }
    return at
  }

  private onError(buf: Buffer, at: number, next: number): void {
    if (isFatalError(buf, at, next)) {
      this.out.add(buf, at, next)
      this.stop()
      return this.events.fatal()
    }
    if (this.phase !== Phase.Merging) return // a later error of a request that already failed
    this.out.add(buf, at, next)
    this.startDropping()
  }

  /** The server's next aligned reply: it waits for the others' (while dropping, only ReadyForQuery counts). */
  private onAligned(side: ServerSide, buf: Buffer, at: number, next: number): void {
    if (this.phase === Phase.Dropping && buf[at] !== B.ReadyForQuery) return
    side.waiting = true
    side.slot = buf
    side.slotStart = at
    side.slotEnd = next
    this.waitingCount++
    // At once, unless another server holds input, which must go out first (settle does it in order).
    if (this.waitingCount === this.servers.length && !this.holding()) this.combine()
  }

  /** Combines what every server waits with, and lets every server read on. */
  private combine(): void {
    const replies = this.servers.map((s) => s.slot.subarray(s.slotStart, s.slotEnd))
    const result = combineReplies(replies, this.names)
    if (result.kind === 'error') {
      this.out.add(result.bytes, 0, result.bytes.length)
      return this.startDropping()
    }
    const reply = result.kind === 'forward' ? replies[result.server]! : result.bytes
    // A forwarded reply goes out as the view it was received in, so it can join the output around it.
    if (result.kind === 'forward') {
      const s = this.servers[result.server]!
      this.out.add(s.slot, s.slotStart, s.slotEnd)
    } else this.out.add(reply, 0, reply.length)
    for (const s of this.servers) this.release(s)
    if (reply[0] !== B.ReadyForQuery) return
    this.phase = Phase.Merging
    this.events.ready(reply[5]!)
  }

  /** The request failed: servers waiting with anything but their ReadyForQuery read on (and drop). */
  private startDropping(): void {
    this.phase = Phase.Dropping
    for (const s of this.servers) if (s.slot[s.slotStart] !== B.ReadyForQuery) this.release(s)
  }

  private release(side: ServerSide): void {
    if (!side.waiting) return
    side.waiting = false
    side.slot = EMPTY // let the buffer be collected
    this.waitingCount--
  }

  /** Combines and reads held input until every server waits or has nothing held; lowest server first. */
  private settle(): void {
    while (!this.stopped()) {
      if (this.waitingCount === this.servers.length) {
        this.combine()
        continue
      }
      const i = this.firstReadable()
      if (i < 0) return
      const held = this.servers[i]!.held
      const stop = this.read(i, held.buf, held.start, held.end)
      if (!this.stopped()) held.consumeTo(stop) // else a FATAL emptied the queue
    }
  }

  /** The lowest server that is not waiting and has input held, or -1. */
  private firstReadable(): number {
    for (let i = 0; i < this.servers.length; i++) {
      const s = this.servers[i]!
      if (!s.waiting && s.held.length > 0) return i
    }
    return -1
  }

  private holding(): boolean {
    for (const s of this.servers) if (s.held.length > 0) return true
    return false
  }
}

/** End of the message that starts at `at`; throws when it does not end by `end` (the caller frames). */
export function messageEnd(buf: Buffer, at: number, end: number): number {
  const next = at + 5 <= end ? at + 1 + buf.readUInt32BE(at + 1) : end + 1
  if (next > end || next < at + 5) throw new RangeError('push takes whole backend messages only')
  return next
}
