/**
 * The clients waiting for a connection of one server pool: FIFO, except that a connection opened
 * with a client's own startup parameters (session mode) goes to the first client that can use it, and
 * bounded by query_wait_timeout with one timer for the whole queue.
 * @module
 */
import type { GatewayError } from '../errors.js'
import type { ServerConnection } from './server-conn.js'

/** Whoever waits for a server connection (a client session). Called back exactly once. */
export interface CheckoutWaiter {
  onCheckout(server: ServerConnection): void
  onCheckoutError(error: GatewayError): void
  /** Still waiting after query_wait_notify ms: tell the client why nothing happens (once per checkout). */
  onCheckoutDelayed?(waitedMs: number): void
}

/**
 * Client startup parameters a connection is opened with (session mode passes them through), and the
 * key under which connections opened alike are shared.
 */
export interface ConnectionStartup {
  readonly key: string
  readonly params: ReadonlyArray<readonly [string, string]>
}

/** One client in the queue. */
export interface Waiter {
  waiter: CheckoutWaiter
  since: number
  /** A client's checkout, counted in the statistics. */
  counted: boolean
  /** The client startup parameters the connection must have been opened with. */
  startup?: ConnectionStartup
  /** Already told it waits (query_wait_notify). */
  notified?: boolean
}

const keyOf = (w: Waiter): string => w.startup?.key ?? ''

/** The most recently idle connection of `idle` opened with `key`, taken off the list. */
export function takeIdle(idle: ServerConnection[], key: string): ServerConnection | undefined {
  for (let i = idle.length - 1; i >= 0; i--) {
    if (idle[i]!.startupKey !== key) continue
    return i === idle.length - 1 ? idle.pop() : idle.splice(i, 1)[0]
  }
  return undefined
}

/** The queue of one server pool. */
export class CheckoutQueue {
  private readonly waiters: Waiter[] = []
  /**
   * One timer for the whole queue, due when its oldest waiter's query_wait_timeout runs out (waiters
   * share one timeout, so the oldest always expires first): no timer per checkout on the hot path.
   */
  private timer?: NodeJS.Timeout
  /** The same for query_wait_notify: due when the oldest waiter not yet told is to be told. */
  private noticeTimer?: NodeJS.Timeout

  constructor(
    /** query_wait_timeout in ms (0: forever). */
    private readonly timeout: number,
    /** Fails a waiter whose time ran out (already taken off the queue). */
    private readonly expire: (waiter: Waiter) => void,
    /** query_wait_notify in ms (0: never): when a waiter still waiting is told so. */
    private readonly notifyAfter = 0,
  ) {}

  get length(): number {
    return this.waiters.length
  }

  /** The waiter at position `i`, if any (the oldest is 0). */
  at(i: number): Waiter | undefined {
    return this.waiters[i]
  }

  push(waiter: Waiter): void {
    this.waiters.push(waiter)
    if (this.timer === undefined) this.arm(waiter.since)
    if (this.noticeTimer === undefined && this.notifyAfter > 0) this.armNotice(Date.now())
  }

  /** Forgets a waiter whose client went away (the timer, if due for it, finds nothing to expire). */
  remove(waiter: CheckoutWaiter): void {
    const i = this.waiters.findIndex((w) => w.waiter === waiter)
    if (i >= 0) this.waiters.splice(i, 1)
  }

  /** The first waiter that can use a connection opened with `key`, taken off the queue. */
  takeFor(key: string): Waiter | undefined {
    const w = this.waiters
    if (w.length > 0 && keyOf(w[0]!) === key) return w.shift()
    const i = w.findIndex((x) => keyOf(x) === key)
    return i < 0 ? undefined : w.splice(i, 1)[0]
  }

  /** Empties the queue (the pool closes) and returns who waited. */
  clear(): Waiter[] {
    clearTimeout(this.timer)
    clearTimeout(this.noticeTimer)
    this.timer = undefined
    this.noticeTimer = undefined
    return this.waiters.splice(0)
  }

  private arm(now: number): void {
    const oldest = this.waiters[0]
    if (this.timeout <= 0 || oldest === undefined) return
    this.timer = setTimeout(() => this.expireOld(), Math.max(0, oldest.since + this.timeout - now))
    // The waiters' sockets keep the process alive; a timer left for a queue that emptied must not.
    this.timer.unref()
  }

  /** Fails every waiter past the timeout, then re-arms for the next oldest. */
  private expireOld(): void {
    this.timer = undefined
    const now = Date.now()
    while (this.waiters.length > 0 && now - this.waiters[0]!.since >= this.timeout)
      this.expire(this.waiters.shift()!)
    this.arm(now)
  }

  private armNotice(now: number): void {
    const next = this.waiters.find((w) => !w.notified)
    if (next === undefined) return
    const due = Math.max(0, next.since + this.notifyAfter - now)
    this.noticeTimer = setTimeout(() => this.notifyWaiting(), due)
    this.noticeTimer.unref()
  }

  /** Tells every waiter past query_wait_notify, once, then re-arms for the next. */
  private notifyWaiting(): void {
    this.noticeTimer = undefined
    const now = Date.now()
    for (const w of this.waiters) {
      if (w.notified || now - w.since < this.notifyAfter) continue
      w.notified = true
      w.waiter.onCheckoutDelayed?.(now - w.since)
    }
    this.armNotice(now)
  }
}
