/**
 * Login deadlines of client connections (client_login_timeout) with one timer for all of them, not one
 * per connection: every deadline is the same span after its connection was accepted, so entries kept
 * in accept order expire in that order too.
 * @module
 */

/** Connections still logging in, each with its deadline. */
export class LoginDeadlines<T> {
  private readonly deadlines = new Map<T, number>() // insertion order = deadline order
  private timer?: NodeJS.Timeout

  /**
   * @param timeoutMs login time allowed from accept; 0 turns deadlines off
   * @param onExpired called once for each connection whose deadline passed
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (target: T) => void,
  ) {}

  /** Starts `target`'s deadline (now + timeout). */
  add(target: T): void {
    if (this.timeoutMs <= 0) return
    this.deadlines.set(target, Date.now() + this.timeoutMs)
    if (this.timer === undefined) this.arm(this.timeoutMs)
  }

  /** The target logged in or closed. */
  delete(target: T): void {
    this.deadlines.delete(target)
  }

  /** Number of connections still logging in. */
  get size(): number {
    return this.deadlines.size
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(ms, 1))
    this.timer.unref()
  }

  private expire(): void {
    this.timer = undefined
    const now = Date.now()
    for (const [target, deadline] of this.deadlines) {
      if (deadline > now) return this.arm(deadline - now)
      this.deadlines.delete(target)
      this.onExpired(target)
    }
  }

  /** Stops the timer (the gateway is stopping). */
  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
