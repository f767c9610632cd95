/**
 * Keeps a {@link NotificationListener}'s one server connection open while it is wanted: opens it on
 * demand, opens it again after a loss once a backoff has passed (`minBackoffMs`, doubled after each
 * attempt up to `maxBackoffMs`, back to the minimum once the server answers a request), and closes it
 * `idleCloseMs` after nothing needs it any more. The listener decides what is wanted and what to send.
 * @module
 */
import { asGatewayError, type GatewayError } from '../errors.js'
import { log } from '../log.js'
import { ListenerConnection, type ListenerConnectionEvents } from './listener-connection.js'
import type { ServerAddress, ServerLogin } from './server-address.js'
import type { ServerConnection } from './server-conn.js'
import type { ServerConnector } from './server-connector.js'

/** Timings of a listener's connection (ms). */
export interface NotificationListenerOptions {
  /** How long the connection stays open once no channel is left (0: close at once). Default 10 s. */
  idleCloseMs?: number
  /** First delay before reconnecting after a loss. Default 100 ms. */
  minBackoffMs?: number
  /** Longest delay between reconnect attempts. Default 5 s. */
  maxBackoffMs?: number
}

/** What the supervisor asks of and tells its listener. */
export interface SupervisedListener extends Omit<ListenerConnectionEvents, 'onLost'> {
  /** The pool's name, for logs. */
  readonly name: string
  /** True while any channel needs the connection (it reconnects only then). */
  wanted(): boolean
  /** A connection is open: send what is due. */
  onConnected(): void
  /** A connection could not be opened (the first, or a reconnect). */
  onConnectFailed(error: GatewayError): void
  /** The connection was lost: the server listens on nothing now. */
  onLost(error: GatewayError): void
}

type State = 'idle' | 'connecting' | 'connected' | 'backoff' | 'closed'

/** The connection side of a notification listener. */
export class ListenerSupervisor {
  /** The open connection, if any. */
  link?: ListenerConnection
  readonly counters = { connects: 0, losses: 0 }
  private state: State = 'idle'
  /** Reconnect attempts since the server last answered a request (sets the backoff). */
  private attempt = 0
  private reconnectTimer?: NodeJS.Timeout
  private idleTimer?: NodeJS.Timeout

  constructor(
    private readonly listener: SupervisedListener,
    /** Where to connect, asked at each connect: after a failover, the server that is primary now. */
    private readonly address: () => ServerAddress,
    private readonly login: ServerLogin,
    private readonly connector: ServerConnector,
    private readonly options: Required<NotificationListenerOptions>,
  ) {}

  get connected(): boolean {
    return this.state === 'connected'
  }

  get closed(): boolean {
    return this.state === 'closed'
  }

  /** Something is wanted: connect if nothing is open or on its way; keep an open connection open. */
  demand(): void {
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    if (this.state === 'idle') this.connect()
  }

  /** Nothing is wanted: close the connection after idleCloseMs, unless demand() comes first. */
  idle(): void {
    if (this.state !== 'connected' || this.idleTimer !== undefined) return
    if (this.options.idleCloseMs <= 0) return this.closeIdle()
    this.idleTimer = setTimeout(() => this.closeIdle(), this.options.idleCloseMs)
    this.idleTimer.unref()
  }

  /** The server answered a request: it works, so the next loss reconnects after the shortest delay. */
  answered(): void {
    this.attempt = 0
  }

  /** Closes the connection and handles it as a loss (it reconnects if anything is wanted). */
  drop(error: GatewayError): void {
    this.link?.close()
    this.lost(error)
  }

  /** Closes for good. */
  close(): void {
    this.state = 'closed'
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.idleTimer)
    this.link?.close()
    this.link = undefined
  }

  private connect(): void {
    this.state = 'connecting'
    this.connector.connect(this.address(), this.login).then(
      (server) => this.opened(server),
      (err: unknown) => this.failed(asGatewayError(err, 'SERVER_UNAVAILABLE')),
    )
  }

  private opened(server: ServerConnection): void {
    if (this.state === 'closed') return server.close()
    const l = this.listener
    this.link = new ListenerConnection(server, {
      onNotification: (message, channel) => l.onNotification(message, channel),
      onAnswered: (request, refusal) => l.onAnswered(request, refusal),
      onLost: (error) => this.lost(error),
    })
    this.state = 'connected'
    this.counters.connects++
    const what = this.counters.connects > 1 ? 'reconnected' : 'connected'
    log.info(`notification listener ${what}`, { pool: l.name, server: server.id, pid: server.processId })
    l.onConnected()
  }

  private failed(error: GatewayError): void {
    if (this.state === 'closed') return
    this.state = 'idle'
    log.info('notification listener could not connect', { pool: this.listener.name, error: error.message })
    this.listener.onConnectFailed(error)
    // A callback may have asked for a new connection already; else retry if anyone still listens.
    if (this.state === 'idle' && this.listener.wanted()) this.scheduleReconnect()
  }

  private lost(error: GatewayError): void {
    this.link = undefined
    this.state = 'idle'
    this.counters.losses++
    log.info('notification listener lost its server connection; notifications are lost until it is back', {
      pool: this.listener.name,
      error: error.message,
    })
    this.listener.onLost(error)
    if (this.state === 'idle' && this.listener.wanted()) this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    const { minBackoffMs, maxBackoffMs } = this.options
    const delay = Math.min(minBackoffMs * 2 ** this.attempt, maxBackoffMs)
    this.attempt++
    this.state = 'backoff'
    log.info('notification listener reconnects', { pool: this.listener.name, inMs: delay })
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.state = 'idle'
      if (this.listener.wanted()) this.connect() // unless every subscriber left meanwhile
    }, delay)
    this.reconnectTimer.unref()
  }

  private closeIdle(): void {
    this.idleTimer = undefined
    if (this.state !== 'connected' || this.listener.wanted()) return
    log.debug('notification listener closes its idle connection', { pool: this.listener.name })
    this.link?.close()
    this.link = undefined
    this.state = 'idle'
  }
}
