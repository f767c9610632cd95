/**
 * The bookkeeping of a {@link NotificationListener}: who listens on which channel, whose listen()
 * still waits for the server, and which LISTEN / UNLISTEN requests bring the server's set of channels
 * in line with the subscribers'. No I/O: the listener sends what {@link ListenChannels.takeRequests}
 * returns and reports the answers back.
 * @module
 */
import type { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { ChannelRequest } from './listener-connection.js'

/** Whoever listens (a client session). Called synchronously from the listener's socket handler. */
export interface NotificationSubscriber {
  /**
   * A NotificationResponse on a channel this subscriber listens on: `message` is the whole message
   * ('A', length, notifying backend's process id, channel, payload) byte for byte as the server sent
   * it, shared by every subscriber of the channel (never modify it); `channel` is its channel.
   */
  onNotification(message: Buffer, channel: string): void
}

/** Called once: without an error when the LISTEN is in place on the server, else with why not. */
export type ListenCallback = (error?: GatewayError) => void

interface Waiter {
  subscriber: NotificationSubscriber
  done: ListenCallback
}

/** One channel: its subscribers, and its LISTEN on the listener's current connection. */
export interface ChannelState {
  readonly name: string
  /** Everyone listening, confirmed or still waiting. */
  readonly subscribers: Set<NotificationSubscriber>
  /** listen() calls waiting for the server to confirm, in call order. */
  waiters: Waiter[]
  /** What the last request sent on the current connection asked: LISTEN (true) or UNLISTEN. */
  requested: boolean
  /** Requests for this channel sent on the current connection and not yet answered. */
  inFlight: number
}

/** Calls `fn`, logging instead of throwing: a subscriber's bug must not break the listener. */
export function safely(what: string, fn: () => void): void {
  try {
    fn()
  } catch (err) {
    log.error(`notification listener: ${what} threw`, { error: String(err) })
  }
}

/** Channels and their subscribers. */
export class ListenChannels {
  private readonly channels = new Map<string, ChannelState>()
  private readonly bySubscriber = new Map<NotificationSubscriber, Set<string>>()
  /** Channels whose subscribers changed since the last takeRequests(). */
  private readonly dirty = new Set<string>()

  /** Channels known: listened on, or with a request still in flight. */
  get size(): number {
    return this.channels.size
  }

  get(name: string): ChannelState | undefined {
    return this.channels.get(name)
  }

  /** Adds `subscriber` to channel `name` (no change if it is there already). */
  add(name: string, subscriber: NotificationSubscriber): ChannelState {
    let ch = this.channels.get(name)
    if (ch === undefined) {
      ch = { name, subscribers: new Set(), waiters: [], requested: false, inFlight: 0 }
      this.channels.set(name, ch)
    }
    if (!ch.subscribers.has(subscriber)) {
      ch.subscribers.add(subscriber)
      const names = this.bySubscriber.get(subscriber)
      if (names === undefined) this.bySubscriber.set(subscriber, new Set([name]))
      else names.add(name)
      this.dirty.add(name)
    }
    return ch
  }

  /** True while `subscriber`'s listen() on `ch` waits for the server. */
  isWaiting(ch: ChannelState, subscriber: NotificationSubscriber): boolean {
    return ch.waiters.some((w) => w.subscriber === subscriber)
  }

  /** Removes `subscriber` from channel `name`; its waiting callbacks there are dropped, never called. */
  remove(name: string, subscriber: NotificationSubscriber): boolean {
    const ch = this.channels.get(name)
    if (ch === undefined || !ch.subscribers.delete(subscriber)) return false
    ch.waiters = ch.waiters.filter((w) => w.subscriber !== subscriber)
    const names = this.bySubscriber.get(subscriber)
    names?.delete(name)
    if (names?.size === 0) this.bySubscriber.delete(subscriber)
    this.dirty.add(name)
    return true
  }

  /** The channels `subscriber` listens on (or waits to), in no particular order. */
  channelsOf(subscriber: NotificationSubscriber): string[] {
    return [...(this.bySubscriber.get(subscriber) ?? [])]
  }

  /**
   * The requests that make the server listen on exactly the channels with subscribers (marked as sent),
   * and forgets channels that have neither subscribers nor requests in flight.
   */
  takeRequests(): ChannelRequest[] {
    const out: ChannelRequest[] = []
    for (const name of this.dirty) {
      const ch = this.channels.get(name)
      if (ch === undefined) continue
      const wanted = ch.subscribers.size > 0
      if (wanted !== ch.requested) {
        ch.requested = wanted
        ch.inFlight++
        out.push({ channel: name, listen: wanted })
      } else if (!wanted && ch.inFlight === 0) this.channels.delete(name)
    }
    this.dirty.clear()
    return out
  }

  /** Marks a channel to be looked at by the next takeRequests() (after an answer changed it). */
  touch(name: string): void {
    this.dirty.add(name)
  }

  /** The connection is gone: the server listens on nothing; every channel with subscribers is due again. */
  resetConnection(): void {
    for (const [name, ch] of this.channels) {
      ch.requested = false
      ch.inFlight = 0
      if (ch.subscribers.size === 0) this.channels.delete(name)
      else this.dirty.add(name)
    }
  }

  /** The LISTEN of `ch` is in place: every waiting listen() on it is answered. */
  settle(ch: ChannelState): void {
    const waiters = ch.waiters
    ch.waiters = []
    for (const w of waiters) safely('a listen callback', () => w.done())
  }

  /** Fails the waiting listen() calls of `ch` (or of every channel): they are not subscribed any more. */
  fail(error: GatewayError, ch?: ChannelState): void {
    for (const c of ch === undefined ? [...this.channels.values()] : [ch]) {
      const waiters = c.waiters
      c.waiters = []
      for (const w of waiters) {
        this.remove(c.name, w.subscriber)
        safely('a listen callback', () => w.done(error))
      }
    }
  }

  /** Hands a notification to every subscriber of its channel; returns how many got it. */
  dispatch(channel: string, message: Buffer): number {
    const ch = this.channels.get(channel)
    if (ch === undefined) return 0
    let n = 0
    for (const s of ch.subscribers) {
      n++
      safely('a subscriber', () => s.onNotification(message, channel))
    }
    return n
  }

  /** Channels with subscribers, subscriptions (channel, subscriber pairs) and distinct subscribers. */
  counts(): { channels: number; subscriptions: number; subscribers: number; unconfirmed: number } {
    let channels = 0
    let subscriptions = 0
    let unconfirmed = 0
    for (const ch of this.channels.values()) {
      if (ch.subscribers.size > 0) channels++
      if (ch.subscribers.size > 0 && (!ch.requested || ch.inFlight > 0)) unconfirmed++
      subscriptions += ch.subscribers.size
    }
    return { channels, subscriptions, subscribers: this.bySubscriber.size, unconfirmed }
  }

  /** Fails every waiting listen() and forgets everything (the listener closes). */
  clear(error: GatewayError): void {
    this.fail(error)
    this.channels.clear()
    this.bySubscriber.clear()
    this.dirty.clear()
  }
}
