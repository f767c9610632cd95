/**
 * The replies of several servers that all ran the same request (a MultiShard binding), merged into
 * the one stream a single Postgres server would send the client. Rules:
 * - Aligned replies: every message but rows, notices, notifications, ParameterStatus and errors is
 *   an aligned reply (RowDescription, CommandComplete, ReadyForQuery, ParseComplete, …). The k-th
 *   aligned reply of each server answers the same thing, so it goes out once, when every server has
 *   sent its own, combined by combine-replies.ts (types compared, counts summed, status E > T > I).
 * - Streaming: a server that has sent no more aligned replies than went out is level with the
 *   client's stream, so its DataRows, CopyData and NoticeResponses go out as they arrive, in arrival
 *   order across servers, as views of its own bytes (contiguous ones of a push as one output). A
 *   server that is ahead (its next aligned reply waits for the others') has everything after that
 *   reply held, as views, until the others catch up: e.g. its rows wait for every server's
 *   RowDescription. `heldBytes` lets the caller stop reading a server that runs far ahead.
 * - Errors: the first ErrorResponse of a request (up to a ReadyForQuery) in merged order (an error
 *   held behind its server's earlier replies counts when they go out) goes out as it is, and
 *   everything else of that request from every server is dropped up to each server's ReadyForQuery;
 *   then one ReadyForQuery goes out. Rows that went out before it stay out, as Postgres may also send
 *   rows then an error. Servers that disagree (row types, tags, message types) count as an error too.
 * - NotificationResponse passes from every server, even while dropping (a NOTIFY is not part of the
 *   request). ParameterStatus passes from server 0 only: the binding gives every server the same
 *   session settings, so the others would only repeat each change; server 0 speaks for all.
 * - A FATAL ErrorResponse from any server goes out as soon as it is read (after what its server sent
 *   before it, even while dropping) and ends the merge (`failed`), as does `serverLost`: the binding
 *   then closes the client, because no ReadyForQuery status can describe a transaction that lost one
 *   of its servers (this is what Skiff does when a single server is lost).
 * - One server: a pass-through, byte for byte.
 * The caller frames each server's stream and must send every server the same requests, with no Query
 * or FunctionCall inside an unsynced extended batch (a server that failed earlier in the batch would
 * skip it and send one ReadyForQuery fewer). COPY FROM STDIN is refused with 0A000 (its data would go
 * to every server), but the servers still wait for data: the caller must refuse it before sending, or
 * answer each server's CopyInResponse with CopyFail. A PortalSuspended stands for every server's: an
 * Execute with a row limit returns up to that many rows from each server.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html
 * @module
 */
import { isFatalError } from './backend-decode.js'
import { BackendCode as B, TxnStatus } from './codes.js'
import { OutputRun } from './output-run.js'
import { messageEnd, ReplyAligner } from './reply-aligner.js'

/** Options of a {@link ReplyMerger}. */
export interface ReplyMergerOptions {
  /** How error messages name the servers (default "server 0", "server 1", …), e.g. shard names. */
  names?: readonly string[]
}

/**
 * Merges the replies of `serverCount` servers into one client stream, given to `onOutput` as soon as
 * it may go out. Pushed bytes are forwarded and held as views, so they must not be changed afterwards
 * (socket chunks never are); `onOutput` must not call back into the merger.
 * @example
 * const merger = new ReplyMerger(2, (bytes) => client.write(bytes))
 * merger.expectReady() // a Query went to both servers
 * framer.push(chunk); while (framer.next()) merger.push(1, framer.buffer, framer.start, framer.end)
 */
export class ReplyMerger {
  private readonly out: OutputRun
  /** Undefined with one server: its replies pass through. */
  private readonly aligner: ReplyAligner | undefined
  private readonly serverCount: number
  private owed = 0
  private ended = false
  /** Transaction status of the last ReadyForQuery that went out. */
  status: number = TxnStatus.Idle

  constructor(serverCount: number, onOutput: (bytes: Buffer) => void, options: ReplyMergerOptions = {}) {
    if (!Number.isInteger(serverCount) || serverCount < 1) throw new RangeError('at least one server')
    this.serverCount = serverCount
    this.out = new OutputRun(onOutput)
    if (serverCount === 1) return
    const names = Array.from({ length: serverCount }, (_, i) => options.names?.[i] ?? `server ${i}`)
    this.aligner = new ReplyAligner(names, this.out, {
      ready: (status) => this.onReady(status),
      fatal: () => {
        this.ended = true
      },
    })
  }

  /** Counts `count` requests sent to every server that each end in a ReadyForQuery (Query, Sync). */
  expectReady(count = 1): void {
    this.owed += count
  }

  /** Every expected ReadyForQuery went out and nothing is waiting; false once the merge failed. */
  get done(): boolean {
    return !this.ended && this.owed === 0 && (this.aligner?.idle ?? true)
  }

  /** A FATAL went out or a server was lost: the client must be closed. */
  get failed(): boolean {
    return this.ended
  }

  /** Bytes of server `server` held because it is ahead of the others (for backpressure). */
  heldBytes(server: number): number {
    this.check(server)
    return this.aligner?.heldBytes(server) ?? 0
  }

  /** Takes the whole backend messages in `buf[start, end)` from server `server`. */
  push(server: number, buf: Buffer, start: number, end: number): void {
    this.check(server)
    if (this.ended) return
    if (this.aligner === undefined) this.passThrough(buf, start, end)
    else this.aligner.push(server, buf, start, end)
    this.out.flush()
  }

  /**
   * Server `server` is gone: the client gets `errorBytes` (a FATAL ErrorResponse, such as 08006) and
   * nothing more, unless the merge had already failed (a server's own FATAL went out).
   */
  serverLost(server: number, errorBytes: Buffer): void {
    this.check(server)
    if (this.ended) return
    this.ended = true
    this.aligner?.stop()
    this.out.add(errorBytes, 0, errorBytes.length)
    this.out.flush()
  }

  private check(server: number): void {
    if (!Number.isInteger(server) || server < 0 || server >= this.serverCount)
      throw new RangeError(`no server ${server}`)
  }

  private onReady(status: number): void {
    this.status = status
    if (this.owed > 0) this.owed--
  }

  /** One server: everything goes out as it came; only ReadyForQuery and FATAL are looked at. */
  private passThrough(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; ) {
      const next = messageEnd(buf, at, end)
      if (buf[at] === B.ReadyForQuery) this.onReady(buf[at + 5]!)
      else if (buf[at] === B.ErrorResponse && isFatalError(buf, at, next)) {
        this.ended = true
        return this.out.add(buf, start, next)
      }
      at = next
    }
    this.out.add(buf, start, end)
  }
}
