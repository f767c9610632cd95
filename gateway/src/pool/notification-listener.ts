/**
 * LISTEN/NOTIFY for transaction mode: one connection per (database, user) pool to its primary, outside
 * the pool's pool_size, LISTENs on every channel a client listens on, and hands each
 * NotificationResponse to the clients listening on its channel. The gateway answers a client's LISTEN
 * once the listener confirms it (see {@link NotificationListener.listen}), so a NOTIFY committed after
 * that reaches the client.
 *
 * Life of the connection: opened at the first listen(); a LISTEN "channel" when a channel gets its first
 * subscriber, an UNLISTEN when its last one leaves; closed `idleCloseMs` after no channel is left. When
 * it is lost (server restart, pg_terminate_backend) it is opened again after a backoff (`minBackoffMs`,
 * doubling up to `maxBackoffMs`, reset once the server answers a request) and every channel is
 * LISTENed again; listen() and unlisten() calls meanwhile are recorded and applied then. Notifications
 * sent while it is down are lost, as they are for a Postgres session that drops: LISTEN delivers only
 * what is committed while the session listens.
 * @see https://www.postgresql.org/docs/current/sql-listen.html
 * @see https://www.postgresql.org/docs/current/sql-notify.html
 * @module
 */
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import {
  type ListenCallback,
  ListenChannels,
  type NotificationSubscriber,
  safely,
} from './listen-channels.js'
import type { ChannelRequest, ServerRefusal } from './listener-connection.js'
import {
  ListenerSupervisor,
  type NotificationListenerOptions,
  type SupervisedListener,
} from './listener-supervisor.js'
import { describeAddress, type ServerAddress, type ServerLogin } from './server-address.js'
import { defaultConnector, type ServerConnector } from './server-connector.js'
import type { ServerPool } from './server-pool.js'

export type { ListenCallback, NotificationSubscriber } from './listen-channels.js'
export type { NotificationListenerOptions } from './listener-supervisor.js'

/** NAMEDATALEN - 1: Postgres keeps no longer channel name (it truncates one, and then it differs). */
const MAX_CHANNEL_BYTES = 63

/** What admin output can report about a listener. */
export interface NotificationListenerStats {
  /** Channels with at least one subscriber. */
  channels: number
  /** (channel, subscriber) pairs. */
  subscriptions: number
  /** Distinct subscribers. */
  subscribers: number
  /**
   * Channels with subscribers whose LISTEN is not in place on the current connection yet (after a
   * reconnect, until the server has answered the LISTENs sent again): a notification sent meanwhile
   * is not delivered, as to a new Postgres session before its LISTEN.
   */
  unconfirmed: number
  connected: boolean
  /** The listening backend's process id (0 while not connected). */
  serverProcessId: number
  /** Connections opened, and lost (not counting closes when idle). */
  connects: number
  losses: number
  /** NotificationResponse messages received, and handed to subscribers (one per subscriber). */
  notifications: number
  deliveries: number
}

/** The LISTEN connection of one pool's primary and the clients listening through it. */
export class NotificationListener {
  private readonly channels = new ListenChannels()
  private readonly supervisor: ListenerSupervisor
  private readonly counters = { notifications: 0, deliveries: 0 }

  constructor(
    /** The pool's name (`database/user`), for logs. */
    readonly name: string,
    /** The server to listen on, or how to find it at each connect (the shard's primary now). */
    address: ServerAddress | (() => ServerAddress),
    login: ServerLogin,
    connector: ServerConnector = defaultConnector,
    options: NotificationListenerOptions = {},
  ) {
    const timings = { idleCloseMs: 10_000, minBackoffMs: 100, maxBackoffMs: 5000, ...options }
    const events: SupervisedListener = {
      name,
      wanted: () => this.channels.size > 0,
      onConnected: () => this.progress(),
      onConnectFailed: (error) => {
        this.channels.fail(error) // every listen() waiting gets the error; confirmed subscribers stay
        this.channels.resetConnection()
      },
      onLost: () => this.channels.resetConnection(),
      onNotification: (message, channel) => this.onNotification(message, channel),
      onAnswered: (request, refusal) => this.onAnswered(request, refusal),
    }
    this.addressOf = typeof address === 'function' ? address : () => address
    this.supervisor = new ListenerSupervisor(events, this.addressOf, login, connector, timings)
  }

  private readonly addressOf: () => ServerAddress

  /** The server the listener connects to (now). */
  get address(): ServerAddress {
    return this.addressOf()
  }

  /**
   * A listener for the server of `pool` (a pool's primary), logging in as its connections do;
   * `current` finds the server to use at each connect (after a failover, the promoted one).
   */
  static forPool(
    pool: ServerPool,
    options?: NotificationListenerOptions,
    current: () => ServerPool = () => pool,
  ): NotificationListener {
    return new NotificationListener(pool.name, () => current().address, pool.login, pool.connector, options)
  }

  /**
   * Subscribes `subscriber` to `channel` (a name as Postgres stores it, at most 63 bytes: what
   * `parseListenCommand` returns). `done` is called once: without an error as soon as the server
   * listens on the channel (synchronously, from inside this call, when it already does), or with the
   * GatewayError to send the client when it cannot (no connection to the server, the server refused,
   * the listener closed); the subscription is then undone. Listening twice on a channel is one
   * subscription. Notifications may reach the subscriber before `done` is called.
   */
  listen(channel: string, subscriber: NotificationSubscriber, done: ListenCallback = () => {}): void {
    const invalid = this.refusal(channel)
    if (invalid !== undefined) return safely('a listen callback', () => done(invalid))
    const before = this.channels.get(channel)
    const confirmed =
      before?.subscribers.has(subscriber) === true && !this.channels.isWaiting(before, subscriber)
    const ch = this.channels.add(channel, subscriber)
    const inPlace = this.supervisor.connected && ch.requested && ch.inFlight === 0
    if (confirmed || inPlace) return safely('a listen callback', () => done())
    ch.waiters.push({ subscriber, done })
    this.progress()
  }

  /** Unsubscribes `subscriber` from `channel` at once (no more notifications); a no-op if not there. */
  unlisten(channel: string, subscriber: NotificationSubscriber): void {
    if (this.channels.remove(channel, subscriber)) this.progress()
  }

  /** Unsubscribes `subscriber` from every channel (UNLISTEN *, or the client leaves). */
  unlistenAll(subscriber: NotificationSubscriber): void {
    const names = this.channels.channelsOf(subscriber)
    for (const name of names) this.channels.remove(name, subscriber)
    if (names.length > 0) this.progress()
  }

  /** The channels `subscriber` listens on (including those whose listen() still waits). */
  channelsOf(subscriber: NotificationSubscriber): string[] {
    return this.channels.channelsOf(subscriber)
  }

  stats(): NotificationListenerStats {
    const { channels, subscriptions, subscribers, unconfirmed } = this.channels.counts()
    const link = this.supervisor.link
    return {
      channels,
      subscriptions,
      subscribers,
      unconfirmed,
      connected: link !== undefined,
      serverProcessId: link?.server.processId ?? 0,
      ...this.supervisor.counters,
      ...this.counters,
    }
  }

  /** Closes the connection for good; waiting listen() calls fail with SHUTTING_DOWN. */
  close(): void {
    if (this.supervisor.closed) return
    this.supervisor.close()
    this.channels.clear(new GatewayError('SHUTTING_DOWN', `pool ${this.name} is shutting down`))
  }

  /** Why `channel` cannot be listened on, if it cannot. */
  private refusal(channel: string): GatewayError | undefined {
    if (this.supervisor.closed) return new GatewayError('SHUTTING_DOWN', `pool ${this.name} is shutting down`)
    const bytes = Buffer.byteLength(channel)
    if (bytes > 0 && bytes <= MAX_CHANNEL_BYTES && !channel.includes('\0')) return undefined
    return new GatewayError('INTERNAL', `not a channel name Postgres keeps (${bytes} bytes): ${channel}`)
  }

  /** Sends the requests due, or has a connection opened (or kept open) for them. */
  private progress(): void {
    if (this.supervisor.connected) {
      const link = this.supervisor.link!
      for (const request of this.channels.takeRequests()) link.send(request)
    }
    if (this.channels.size > 0) this.supervisor.demand()
    else this.supervisor.idle()
  }

  private onNotification(message: Buffer, channel: string): void {
    this.counters.notifications++
    this.counters.deliveries += this.channels.dispatch(channel, message)
  }

  private onAnswered(request: ChannelRequest, refusal: ServerRefusal | undefined): void {
    const ch = this.channels.get(request.channel)!
    ch.inFlight--
    this.channels.touch(ch.name)
    if (refusal !== undefined) return this.onRefused(request, refusal)
    this.supervisor.answered()
    // Only the last request for a channel says what the server does now.
    if (request.listen && ch.inFlight === 0) this.channels.settle(ch)
    this.progress()
  }

  /**
   * The server refused a LISTEN or UNLISTEN (it never should on a primary): the waiting listen() calls
   * fail; if anyone else counts on the channel, the connection is dropped and a new one re-LISTENs.
   */
  private onRefused(request: ChannelRequest, refusal: ServerRefusal): void {
    const ch = this.channels.get(request.channel)!
    const verb = request.listen ? 'LISTEN' : 'UNLISTEN'
    log.warn(`notification listener: the server refused ${verb}`, {
      pool: this.name,
      sqlstate: refusal.sqlstate,
    })
    if (ch.inFlight === 0) ch.requested = false
    const error = new GatewayError(
      'SERVER_UNAVAILABLE',
      `server ${describeAddress(this.address)} refused ${verb}: ${refusal.message}`,
      { detail: `SQLSTATE ${refusal.sqlstate}` },
    )
    this.channels.fail(error, ch)
    if (ch.subscribers.size === 0) this.progress()
    else this.supervisor.drop(error)
  }
}
