/**
 * One pooled connection to a Postgres server. After login it frames the server's replies, decodes only
 * ReadyForQuery, ParameterStatus, CommandComplete tags and errors, and hands every run of messages to
 * the route at the head of its reply FIFO.
 * @module
 */
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { isFatalError, parseErrorFields, parseParameterStatus } from '../protocol/backend-decode.js'
import { BackendCode, FrontendCode, TxnStatus } from '../protocol/codes.js'
import { MessageFramer } from '../protocol/framer.js'
import { serializeCopyFail, serializeQuery, serializeSync, serializeTerminate } from '../protocol/frontend.js'
import { OutstandingRequests, type ReplyAction } from '../protocol/outstanding.js'
import { micros, TrafficCounters } from '../stats/counters.js'
import { Cleanup, cleanupFromTag } from './cleanup-state.js'
import type { ReplySink } from './reply-route.js'
import { describeAddress, type ServerAddress } from './server-address.js'
import type { ServerConnector, ServerTransport } from './server-connector.js'
import type { ServerStartup } from './server-startup.js'
import { StatementCache } from './statement-cache.js'

let nextServerId = 1
const SYNC = serializeSync()
const COPY_FAIL = serializeCopyFail('the client disconnected during COPY')
/** Flush: the server sends what it holds (replies to a batch the client left without a Sync). */
const FLUSH = Buffer.from([FrontendCode.Flush, 0, 0, 0, 4])
const NO_BYTES = Buffer.alloc(0)

/** Replies never dropped on behalf of an action: they are not answers to the message. */
const ASYNC_MESSAGES: ReadonlySet<number> = new Set([
  BackendCode.NoticeResponse,
  BackendCode.NotificationResponse,
  BackendCode.ParameterStatus,
])

/** Whether a reply to a message with `action` reaches the client. */
function forwards(action: ReplyAction, code: number): boolean {
  if (code === BackendCode.ErrorResponse) return action.replaceError === undefined
  return !action.drop || ASYNC_MESSAGES.has(code)
}

/**
 * What the gateway writes to a server: a run of whole messages forwarded as they are, or one message
 * whose replies an action handles.
 */
export type Outgoing = Buffer | { bytes: Buffer; action: ReplyAction }

/** A logged-in server connection. Made by a {@link ServerConnector}. */
export class ServerConnection {
  readonly id = nextServerId++
  readonly createdAt = Date.now()
  /** When it last went back to the pool (for idle_timeout). */
  idleSince = Date.now()
  /** Latest value of every parameter the server reported. */
  params = new Map<string, string>()
  /** Bumped on every ParameterStatus, so clients can skip comparing maps when nothing changed. */
  paramsVersion = 0
  /**
   * Session-level values of run-time parameters this connection holds beyond its startup values, as
   * far as the gateway knows (it set them for a client, or a probe found them): lower-cased name → value.
   */
  settings = new Map<string, string>()
  /** The client startup parameters this connection was opened with ('' for the pool's own). */
  startupKey = ''
  /** Transaction status from the last ReadyForQuery. */
  txnStatus: number = TxnStatus.Idle
  /** Cleanup flags (see cleanup-state.ts) collected from the lent client's traffic. */
  cleanup = 0
  closed = false
  processId = 0
  secretKey = 0
  /**
   * The client this connection is lent to, if any. It receives what the server sends outside any
   * route (NOTIFY, notices, a FATAL error before a terminated backend closes) and hears of its loss.
   */
  owner?: ReplySink
  /** Traffic through this connection (the statistics sink; see stats/counters.ts). */
  readonly stats = new TrafficCounters()
  /** performance.now() when the server was sent something while it owed nothing; 0 once idle (total_query_time). */
  private busySince = 0
  /** Gateway-wide prepared statements this connection holds (set by its pool). */
  statements = new StatementCache(0)
  private readonly framer = new MessageFramer()
  /** Every message sent and not yet answered, with the sink that sent it. */
  private readonly outstanding = new OutstandingRequests<ReplySink>()
  /** The sink that already received the server's FATAL error, if any (it must not get a second one). */
  private fatalReportedTo?: ReplySink
  private onClosed?: (conn: ServerConnection) => void

  constructor(
    readonly address: ServerAddress,
    private readonly socket: ServerTransport,
    private readonly connector: ServerConnector,
  ) {}

  /** Feeds login bytes (the connector's login); true once ReadyForQuery arrived. */
  feedStartup(startup: ServerStartup, chunk: Buffer): boolean {
    const f = this.framer
    f.push(chunk)
    while (f.next()) {
      const out = startup.handle(f.code, f.buffer, f.start, f.end)
      if (out === 'ready') {
        this.params = startup.params
        this.processId = startup.processId
        this.secretKey = startup.secretKey
        return true
      }
      if (out) this.socket.write(out)
    }
    return false
  }

  /** Login done: from now on the pipe carries replies to sent messages. */
  beginService(): void {
    const s = this.socket
    for (const event of ['data', 'error', 'close', 'connect']) s.removeAllListeners(event)
    s.on('data', (chunk: Buffer) => this.onData(chunk))
    s.on('error', (err) => this.lost(`socket error: ${err.message}`))
    s.on('close', () => this.lost('the server closed the connection'))
    // Bytes that came in the login's last chunk after its ReadyForQuery are read once the pool holds
    // the connection (Postgres sends nothing there; a notice is dropped, an error closes it).
    queueMicrotask(() => {
      if (this.framer.pending > 0 && !this.closed) this.onData(NO_BYTES)
    })
  }

  /**
   * Lets the process exit while this connection is open and idle: for the gateway's own background
   * connections (the server monitor's), which must not keep a process alive that has nothing else to do.
   */
  unref(): void {
    this.socket.unref?.()
  }

  /** Called once when the connection closes, for whatever reason. */
  setCloseHandler(handler: (conn: ServerConnection) => void): void {
    this.onClosed = handler
  }

  /** True while any sent message still waits for replies. */
  get busy(): boolean {
    return this.outstanding.size > 0
  }

  /**
   * What the connection needs before another client may use it: nothing (`ready`: at ReadyForQuery with
   * nothing pending), a ROLLBACK (`mid-batch`: extended-protocol messages ran without a Sync), a Sync
   * first (`skip-to-sync`: an error left the server discarding input until a Sync), or closing (`busy`:
   * a query is still running; `desynced`: the gateway lost count of what the server will send).
   */
  get syncState(): 'ready' | 'mid-batch' | 'skip-to-sync' | 'busy' | 'desynced' {
    const q = this.outstanding
    if (q.desynced) return 'desynced'
    if (q.size > 0) return 'busy'
    if (q.atReady) return 'ready'
    return q.skippingToSync ? 'skip-to-sync' : 'mid-batch'
  }

  /** True while the server discards its input until a Sync (after an error mid-batch). */
  get skippingToSync(): boolean {
    return this.outstanding.skippingToSync
  }

  /** Sends whole messages `bytes` on behalf of `sink`, which then receives the replies to them. */
  send(sink: ReplySink, bytes: Buffer): void {
    if (this.outstanding.size === 0) this.busySince = performance.now()
    this.record(sink, bytes)
    this.stats.bytesSent += bytes.length
    this.socket.write(bytes)
  }

  /**
   * Sends several parts in one write: runs of messages forwarded as they are, and single messages whose
   * replies an action handles (the prepared-statement rewriting's injected messages).
   */
  sendParts(sink: ReplySink, parts: readonly Outgoing[]): void {
    if (parts.length === 1 && Buffer.isBuffer(parts[0])) return this.send(sink, parts[0])
    if (this.outstanding.size === 0) this.busySince = performance.now()
    let total = 0
    for (const part of parts) total += Buffer.isBuffer(part) ? part.length : part.bytes.length
    const out = Buffer.allocUnsafe(total)
    let at = 0
    for (const part of parts) {
      if (Buffer.isBuffer(part)) {
        this.record(sink, part)
        at += part.copy(out, at)
      } else {
        this.outstanding.push(part.bytes[0]!, sink, part.action)
        at += part.bytes.copy(out, at)
      }
    }
    this.stats.bytesSent += total
    this.socket.write(out)
  }

  /** Records every message of `bytes` (whole messages only) as sent by `sink`. */
  private record(sink: ReplySink, bytes: Buffer): void {
    const q = this.outstanding
    for (let at = 0; at < bytes.length; at += 1 + bytes.readUInt32BE(at + 1)) q.push(bytes[at]!, sink)
  }

  /**
   * Runs the gateway's own simple queries, one Query message each, ahead of whatever follows; with
   * `sync`, a Sync goes first (to end an error's skip-to-Sync on a connection a client left mid-batch).
   */
  sendInternal(sink: ReplySink, sqls: readonly string[], sync = false): void {
    const parts = sqls.map(serializeQuery)
    if (sync) parts.unshift(SYNC)
    this.send(sink, parts.length === 1 ? parts[0]! : Buffer.concat(parts))
  }

  /**
   * The client this connection was lent to left with replies still owed: from now on they go to
   * `sink`, a COPY FROM STDIN under way is failed, or else replies the server holds back (a batch
   * without a Sync) are flushed and the running query is cancelled, so the gateway does not read a long
   * result to its end before the connection can serve again. `settled` is called once no cancel can
   * land any more: the connection must not run anyone's statement before (a cancel arriving late
   * would cancel it).
   */
  abandon(sink: ReplySink, settled: () => void): void {
    this.owner = undefined
    this.outstanding.retag(sink)
    if (this.outstanding.inCopyIn) {
      this.send(sink, COPY_FAIL) // ends the COPY by itself: no cancel to race with what comes next
      return settled()
    }
    this.send(sink, FLUSH)
    this.cancel(settled)
  }

  /** Stops or restarts reading replies (backpressure from a slow client). */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  /** Frames replies and hands each run of them to the sink of the message it answers. */
  private onData(chunk: Buffer): void {
    const f = this.framer
    const q = this.outstanding
    this.stats.bytesReceived += chunk.length
    f.push(chunk)
    let runSink: ReplySink | undefined
    let runStart = -1
    for (;;) {
      let more: boolean
      try {
        more = f.next()
      } catch (err) {
        return this.lost(`bad message from server: ${(err as Error).message}`)
      }
      if (!more) break
      const code = f.code
      q.reply(code, f.buffer, f.start, f.end)
      const sink = q.tag ?? this.owner
      if (sink !== runSink) {
        if (runStart >= 0) runSink?.onServerData(f.buffer, runStart, f.start)
        runSink = sink
        runStart = f.start
      }
      const action = q.action
      if (action !== undefined && !forwards(action, code)) {
        // Not the client's: flush what came before it, put the action's own error in its place, if any.
        if (f.start > runStart) sink?.onServerData(f.buffer, runStart, f.start)
        const replacement = code === BackendCode.ErrorResponse ? action.replaceError : undefined
        if (replacement !== undefined) sink?.onServerData(replacement, 0, replacement.length)
        runStart = f.end
        continue
      }
      if (code === BackendCode.ReadyForQuery) {
        this.txnStatus = f.buffer[f.start + 5]!
        sink?.onServerData(f.buffer, runStart, f.end)
        if (q.size === 0 && this.busySince > 0) {
          this.stats.queryTimeMicros += micros(this.busySince, performance.now())
          this.busySince = 0
        }
        runStart = -1
        runSink = undefined
        sink?.onReadyForQuery(this.txnStatus, q.tagDone)
        if (this.closed) return
      } else if (code === BackendCode.CommandComplete) {
        const flags = cleanupFromTag(f.buffer, f.start, f.end)
        if (flags & Cleanup.StatementsGone) this.statements.clear()
        if (sink !== undefined && !sink.internal) this.cleanup |= flags & ~Cleanup.StatementsGone
      } else if (code === BackendCode.ParameterStatus) {
        this.onParameterStatus(sink)
      } else if (code === BackendCode.ErrorResponse && this.onError(sink)) return
    }
    if (runStart >= 0 && runSink !== undefined)
      runSink.onServerData(f.buffer, runStart, f.buffer.length - f.pending)
    if (q.size === 0 && !q.atReady && runSink !== undefined) runSink.onBatchIdle?.()
  }

  /** Notes a FATAL error's recipient; true when the connection was closed (an error nobody waited for). */
  private onError(sink: ReplySink | undefined): boolean {
    const f = this.framer
    if (sink === undefined) {
      this.onIdleError()
      return true
    }
    if (!sink.internal) this.stats.errors++
    if (isFatalError(f.buffer, f.start, f.end)) this.fatalReportedTo = sink
    return false
  }

  private onParameterStatus(sink: ReplySink | undefined): void {
    const f = this.framer
    const [name, value] = parseParameterStatus(f.buffer, f.start, f.end)
    this.params.set(name, value)
    this.paramsVersion++
    sink?.onParameterStatus(name, value)
  }

  /** An error while no one waits is the server telling us it is going away (e.g. terminated). */
  private onIdleError(): void {
    const f = this.framer
    const fields = parseErrorFields(f.buffer, f.start, f.end)
    // Its SQLSTATE, not its message: a server's message may quote what a client sent.
    log.info('server sent an error while idle; closing it', {
      server: this.id,
      sqlstate: fields.get('C'),
      severity: fields.get('V') ?? fields.get('S'),
    })
    this.close()
  }

  /** Sends a CancelRequest for whatever this connection is running, on a fresh pipe. */
  cancel(done?: () => void): void {
    this.connector.cancel(this.address, this.processId, this.secretKey, done)
  }

  /** Closes the connection politely (Terminate) and fails any waiting route. */
  close(): void {
    if (this.closed) return
    if (!this.socket.destroyed) this.socket.end(serializeTerminate())
    this.lost('closed by the gateway')
  }

  private lost(reason: string): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    const sinks = new Set(this.outstanding.pendingTags())
    this.outstanding.clear()
    if (this.owner !== undefined) sinks.add(this.owner)
    const error = new GatewayError(
      'SERVER_CONNECTION_LOST',
      `lost the connection to server ${describeAddress(this.address)}: ${reason}`,
      { hint: 'the transaction was not completed; retry it' },
    )
    for (const sink of sinks) sink.onServerLost(error, sink === this.fatalReportedTo)
    this.onClosed?.(this)
  }
}
