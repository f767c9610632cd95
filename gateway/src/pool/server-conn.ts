/**
 * One pooled connection to a Postgres server. After login it frames the server's replies, decodes only
 * ReadyForQuery, ParameterStatus, CommandComplete tags and errors, and hands every run of messages to
 * the route at the head of its reply FIFO.
 * @module
 */
import net from 'node:net'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { parseErrorFields, parseParameterStatus } from '../protocol/backend-decode.js'
import { BackendCode, TxnStatus } from '../protocol/codes.js'
import { MessageFramer } from '../protocol/framer.js'
import { serializeCancelRequest, serializeQuery, serializeTerminate } from '../protocol/frontend.js'
import { Cleanup, cleanupFromTag } from '../session/cleanup-state.js'
import type { ReplyRoute, ReplySink } from './reply-route.js'
import { describeAddress, type ServerAddress, type ServerLogin } from './server-address.js'
import { ServerStartup } from './server-startup.js'
import { StatementCache } from './statement-cache.js'

let nextServerId = 1

/** A logged-in server connection. Create with {@link ServerConnection.connect}. */
export class ServerConnection {
  readonly id = nextServerId++
  readonly createdAt = Date.now()
  /** When it last went back to the pool (for idle_timeout). */
  idleSince = Date.now()
  /** Latest value of every parameter the server reported. */
  params = new Map<string, string>()
  /** Bumped on every ParameterStatus, so clients can skip comparing maps when nothing changed. */
  paramsVersion = 0
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
  /** Gateway-wide prepared statements this connection holds (set by its pool). */
  statements = new StatementCache(0)
  private readonly framer = new MessageFramer()
  private readonly routes: ReplyRoute[] = []
  private onClosed?: (conn: ServerConnection) => void

  private constructor(
    readonly address: ServerAddress,
    private readonly socket: net.Socket,
  ) {}

  /** Opens a socket and logs in; rejects with a GatewayError naming the server on any failure. */
  static connect(address: ServerAddress, login: ServerLogin): Promise<ServerConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port, noDelay: true })
      const conn = new ServerConnection(address, socket)
      const startup = new ServerStartup(address, login)
      const fail = (err: GatewayError) => {
        clearTimeout(timer)
        socket.destroy()
        reject(err)
      }
      const timer = setTimeout(() => {
        fail(unavailable(address, `no answer within connect_timeout (${login.connectTimeout} ms)`))
      }, login.connectTimeout)
      socket.on('error', (err) => fail(unavailable(address, err.message)))
      socket.on('close', () => fail(unavailable(address, 'the server closed the connection during login')))
      socket.on('connect', () => socket.write(startup.startupMessage()))
      socket.on('data', (chunk) => {
        try {
          if (!conn.feedStartup(startup, chunk)) return
        } catch (err) {
          return fail(err instanceof GatewayError ? err : unavailable(address, String(err)))
        }
        clearTimeout(timer)
        conn.beginService()
        resolve(conn)
      })
    })
  }

  /** Feeds login bytes; true once ReadyForQuery arrived. */
  private feedStartup(startup: ServerStartup, chunk: Buffer): boolean {
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

  private beginService(): void {
    const s = this.socket
    s.removeAllListeners('data')
      .removeAllListeners('error')
      .removeAllListeners('close')
      .removeAllListeners('connect')
    s.on('data', (chunk: Buffer) => this.onData(chunk))
    s.on('error', (err) => this.lost(`socket error: ${err.message}`))
    s.on('close', () => this.lost('the server closed the connection'))
  }

  /** Called once when the connection closes, for whatever reason. */
  setCloseHandler(handler: (conn: ServerConnection) => void): void {
    this.onClosed = handler
  }

  /** True while any route still waits for replies. */
  get busy(): boolean {
    return this.routes.length > 0
  }

  /**
   * Sends `bytes` on behalf of `sink`, which then receives the replies. `syncs` is how many
   * ReadyForQuery messages these bytes will produce (one per Query or Sync).
   */
  send(sink: ReplySink, bytes: Buffer, syncs: number): void {
    const tail = this.routes[this.routes.length - 1]
    if (tail !== undefined && tail.sink === sink) tail.pendingSyncs += syncs
    else this.routes.push({ sink, pendingSyncs: syncs, internal: false })
    this.socket.write(bytes)
  }

  /** Runs the gateway's own simple queries, one Query message each, ahead of whatever follows. */
  sendInternal(sink: ReplySink, sqls: readonly string[]): void {
    this.routes.push({ sink, pendingSyncs: sqls.length, internal: true })
    this.socket.write(sqls.length === 1 ? serializeQuery(sqls[0]!) : Buffer.concat(sqls.map(serializeQuery)))
  }

  /** Stops or restarts reading replies (backpressure from a slow client). */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  private onData(chunk: Buffer): void {
    const f = this.framer
    f.push(chunk)
    let runStart = -1
    let route = this.routes[0]
    for (;;) {
      let more: boolean
      try {
        more = f.next()
      } catch (err) {
        return this.lost(`bad message from server: ${(err as Error).message}`)
      }
      if (!more) break
      const code = f.code
      if (runStart < 0) runStart = f.start
      if (code === BackendCode.ReadyForQuery) {
        this.txnStatus = f.buffer[f.start + 5]!
        if (route === undefined) {
          runStart = -1
          continue
        }
        route.sink.onServerData(f.buffer, runStart, f.end)
        runStart = -1
        const done = --route.pendingSyncs <= 0
        if (done) this.routes.shift()
        route.sink.onReadyForQuery(this.txnStatus, done)
        if (this.closed) return
        route = this.routes[0]
      } else if (code === BackendCode.CommandComplete) {
        const flags = cleanupFromTag(f.buffer, f.start, f.end)
        if (flags & Cleanup.StatementsGone) this.statements.clear()
        else if (route !== undefined && !route.internal) this.cleanup |= flags
      } else if (code === BackendCode.ParameterStatus) {
        this.onParameterStatus(route)
      } else if (code === BackendCode.ErrorResponse && route === undefined && this.owner === undefined) {
        this.onIdleError()
        return
      }
    }
    const sink = route?.sink ?? this.owner
    if (runStart >= 0 && sink !== undefined)
      sink.onServerData(f.buffer, runStart, f.buffer.length - f.pending)
  }

  private onParameterStatus(route: ReplyRoute | undefined): void {
    const f = this.framer
    const [name, value] = parseParameterStatus(f.buffer, f.start, f.end)
    this.params.set(name, value)
    this.paramsVersion++
    ;(route?.sink ?? this.owner)?.onParameterStatus(name, value)
  }

  /** An error while no one waits is the server telling us it is going away (e.g. terminated). */
  private onIdleError(): void {
    const f = this.framer
    const fields = parseErrorFields(f.buffer, f.start, f.end)
    log.info('server sent an error while idle; closing it', { server: this.id, message: fields.get('M') })
    this.close()
  }

  /** Sends a CancelRequest for whatever this connection is running, on a fresh socket. */
  cancel(): void {
    const s = net.connect({ host: this.address.host, port: this.address.port, noDelay: true })
    s.on('connect', () => s.end(serializeCancelRequest(this.processId, this.secretKey)))
    s.on('error', (err) => log.warn('cancel request failed', { server: this.id, error: err.message }))
    s.setTimeout(5000, () => s.destroy())
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
    const sinks = new Set(this.routes.splice(0).map((r) => r.sink))
    if (this.owner !== undefined) sinks.add(this.owner)
    const error = new GatewayError(
      'SERVER_CONNECTION_LOST',
      `lost the connection to server ${describeAddress(this.address)}: ${reason}`,
      { hint: 'the transaction was not completed; retry it' },
    )
    for (const sink of sinks) sink.onServerLost(error)
    this.onClosed?.(this)
  }
}

function unavailable(address: ServerAddress, reason: string): GatewayError {
  return new GatewayError(
    'SERVER_UNAVAILABLE',
    `could not connect to server ${describeAddress(address)}: ${reason}`,
    {
      hint: 'check that the server is up and that shards.*.servers in the config names the right host and port',
    },
  )
}
