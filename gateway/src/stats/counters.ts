/**
 * The statistics sink of the data path: plain counters on the objects that already exist (one per
 * server pool, one per server connection), bumped at checkout, at check-in and as bytes pass. No
 * allocation and no map lookup per query, so the hot path pays a few additions; the admin console and
 * the metrics endpoint read and sum them. Names follow PgBouncer's SHOW STATS where one exists.
 * @see https://www.pgbouncer.org/usage.html#show-stats
 * @module
 */

/** Counters every level keeps (a server connection, a server pool). Totals since creation. */
export class TrafficCounters {
  /** Transactions served (total_xact_count): one per checkout that ran something. */
  xactCount = 0
  /** Queries and extended-protocol statements run (total_query_count). */
  queryCount = 0
  /** Bytes sent to the server: clients' messages and the gateway's own (cleanup, SET) (total_sent). */
  bytesSent = 0
  /** Bytes received from the server (total_received). */
  bytesReceived = 0
  /** Microseconds servers were lent to clients (total_xact_time). */
  xactTimeMicros = 0
  /** Microseconds the server was busy: from a send to an idle server until its last ReadyForQuery (total_query_time). */
  queryTimeMicros = 0
  /** ErrorResponses servers sent to clients (part of total_errors). */
  errors = 0

  /** Adds `other` into this (a pool summing its connections when they close, the admin console summing pools). */
  add(other: TrafficCounters): void {
    this.xactCount += other.xactCount
    this.queryCount += other.queryCount
    this.bytesSent += other.bytesSent
    this.bytesReceived += other.bytesReceived
    this.xactTimeMicros += other.xactTimeMicros
    this.queryTimeMicros += other.queryTimeMicros
    this.errors += other.errors
  }
}

/** What one server pool counts beyond traffic: how long clients waited for its connections. */
export class PoolCounters extends TrafficCounters {
  /** Checkouts granted (each a client given a server connection). */
  checkouts = 0
  /** Microseconds clients waited for a server connection, summed (total_wait_time). */
  waitTimeMicros = 0
  /** Longest single wait so far, microseconds. */
  maxWaitMicros = 0
  /** Checkouts that failed (pool timeout, server unreachable). */
  checkoutErrors = 0
  /** Prepared-statement cache hits and misses of this pool's closed connections (open ones keep their own). */
  prepareCacheHits = 0
  prepareCacheMisses = 0

  /** Adds another pool's counters (the admin console summing a user pool's server pools). */
  addPool(other: PoolCounters): void {
    this.add(other)
    this.checkouts += other.checkouts
    this.waitTimeMicros += other.waitTimeMicros
    this.checkoutErrors += other.checkoutErrors
    this.prepareCacheHits += other.prepareCacheHits
    this.prepareCacheMisses += other.prepareCacheMisses
    if (other.maxWaitMicros > this.maxWaitMicros) this.maxWaitMicros = other.maxWaitMicros
  }

  /** A client got a connection after waiting `micros` (0 when one was idle). */
  recordCheckout(micros: number): void {
    this.checkouts++
    this.waitTimeMicros += micros
    if (micros > this.maxWaitMicros) this.maxWaitMicros = micros
  }
}

/** Microseconds between two `performance.now()` readings, as an integer. */
export function micros(fromMs: number, toMs: number): number {
  return Math.round((toMs - fromMs) * 1000)
}
