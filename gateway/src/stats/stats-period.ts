/**
 * The averages of SHOW STATS and SHOW STATS_AVERAGES: as PgBouncer, rates over the last completed stats
 * period, from two snapshots of the totals taken one period apart. A timer (unref'd, started by the
 * first reader) takes the snapshots, so the data path pays nothing for averages.
 * @see https://www.pgbouncer.org/config.html#stats_period
 * @module
 */
import type { PoolCounters } from './counters.js'

/** PgBouncer's default stats_period. */
export const STATS_PERIOD_MS = 60_000

/** Averages of one pool over a period: counts and bytes per second, times per event in microseconds. */
export interface PeriodAverages {
  xactCount: number
  queryCount: number
  received: number
  sent: number
  errors: number
  serverAssignments: number
  /** µs per transaction. */
  xactTime: number
  /** µs per query. */
  queryTime: number
  /** µs per server assignment (a client waiting for a connection). */
  waitTime: number
}

/** Zeros: no period has ended yet, or the pool is newer than the last period. */
export const NO_AVERAGES: PeriodAverages = Object.freeze({
  xactCount: 0,
  queryCount: 0,
  received: 0,
  sent: 0,
  errors: 0,
  serverAssignments: 0,
  xactTime: 0,
  queryTime: 0,
  waitTime: 0,
})

/** Total errors of a pool: servers' ErrorResponses to clients and failed checkouts. */
export function errorCount(c: PoolCounters): number {
  return c.errors + c.checkoutErrors
}

function ratio(a: number, b: number): number {
  return b > 0 ? Math.round(a / b) : 0
}

/** The averages between two snapshots `seconds` apart. */
export function averagesBetween(prev: PoolCounters, last: PoolCounters, seconds: number): PeriodAverages {
  const d = (f: (c: PoolCounters) => number) => f(last) - f(prev)
  const xacts = d((c) => c.xactCount)
  const queries = d((c) => c.queryCount)
  const assignments = d((c) => c.checkouts)
  return {
    xactCount: ratio(xacts, seconds),
    queryCount: ratio(queries, seconds),
    received: ratio(
      d((c) => c.bytesReceived),
      seconds,
    ),
    sent: ratio(
      d((c) => c.bytesSent),
      seconds,
    ),
    errors: ratio(d(errorCount), seconds),
    serverAssignments: ratio(assignments, seconds),
    xactTime: ratio(
      d((c) => c.xactTimeMicros),
      xacts,
    ),
    queryTime: ratio(
      d((c) => c.queryTimeMicros),
      queries,
    ),
    waitTime: ratio(
      d((c) => c.waitTimeMicros),
      assignments,
    ),
  }
}

/**
 * Snapshots of every pool's totals at the end of each period; `averages(key)` compares the last two.
 * Keys are the pools themselves, so a pool gone from the config drops out at the next snapshot.
 */
export class StatsPeriod<K> {
  private prev = new Map<K, PoolCounters>()
  private last = new Map<K, PoolCounters>()
  private prevAt = 0
  private lastAt = 0
  private timer?: NodeJS.Timeout

  constructor(
    /** The totals of every pool now. */
    private readonly read: () => Iterable<readonly [K, PoolCounters]>,
    readonly periodMs: number = STATS_PERIOD_MS,
  ) {}

  /** Starts the snapshots (once): the first now, then one each period. */
  start(now: number = Date.now()): void {
    if (this.timer !== undefined) return
    this.snapshot(now)
    this.timer = setInterval(() => this.snapshot(Date.now()), this.periodMs)
    this.timer.unref()
  }

  /** Stops the timer (tests). */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Ends a period: the last snapshot becomes the previous one and the totals now the last. */
  snapshot(now: number): void {
    this.prev = this.last
    this.prevAt = this.lastAt
    const next = new Map<K, PoolCounters>()
    for (const [key, totals] of this.read()) next.set(key, totals)
    this.last = next
    this.lastAt = now
  }

  /** The averages of `key` over the last completed period (zeros before one has ended). */
  averages(key: K): PeriodAverages {
    const prev = this.prev.get(key)
    const last = this.last.get(key)
    if (prev === undefined || last === undefined || this.lastAt <= this.prevAt) return NO_AVERAGES
    return averagesBetween(prev, last, (this.lastAt - this.prevAt) / 1000)
  }
}
