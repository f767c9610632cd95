/**
 * Which replicas are fresh enough for a read, by their monitors' last readings (server-monitor.ts):
 * the router's filter after the health filter (health-candidates.ts) and before its pick. Three
 * limits, each optional:
 * - `minLsn`, read-your-writes: the replica has replayed the primary's insert LSN taken after the
 *   client's last commit (commit-lsn.ts). Exact: a replay LSN only grows.
 * - `maxLagMs`: the replica's lag at its last reading, as long as that reading is current: no older
 *   than two intervals and a timeout (one reading may be late or skipped), so a monitor that stops
 *   getting through (with bans off, nothing else would tell) leaves the lag unknown. Not aged between
 *   readings: a replica lagging a steady 500 ms would otherwise seem to pass 1000 ms before every next
 *   reading, and any limit below the interval would drop caught-up replicas for part of each one.
 * - `maxLagBytes`: the WAL between the primary's last known insert LSN and the replica's replay LSN.
 *   It catches what time lag cannot: a standby cut off from its primary replays all it received and
 *   shows no lag while it falls behind. Without a primary LSN (no reading of the primary yet) it is not
 *   applied: there is nothing to measure from.
 *
 * A server that is a primary (by its last reading, else its configured role) has every commit and is
 * always kept. A replica with no reading yet is kept only when no limit is set: unknown is not fresh.
 * Pure: no I/O, no clock but `now`.
 * @module
 */
import { effectiveRole } from './health-candidates.js'
import { lsnDiff, minReplayLsn, replayedUpTo } from './lsn.js'
import type { ReplicationReading } from './replication-reading.js'
import type { ServerMonitorOptions } from './server-monitor.js'
import type { ServerPool } from './server-pool.js'

/** What the filter reads of a pool: its role, and its monitor's last reading and timings. */
export interface FreshnessSource extends Pick<ServerPool, 'address' | 'health'> {
  readonly monitor?: { readonly reading?: ReplicationReading; readonly options: ServerMonitorOptions }
}

/** The limits a read sets; every one optional. */
export interface FreshnessLimits {
  /** The primary's insert LSN after the client's last write (from CommitLsn): the replica must have replayed it. */
  minLsn?: bigint
  /** Most ms the replica may be behind. */
  maxLagMs?: number
  /** Most bytes of WAL the replica may be behind `primaryLsn`. */
  maxLagBytes?: number
  /** The primary's last known insert LSN (its monitor's reading), for `maxLagBytes`. */
  primaryLsn?: bigint
  /** ms since the epoch. */
  now: number
}

/** The servers of `pools` fresh enough under `limits`, in their order. */
export function freshReplicas<T extends FreshnessSource>(pools: readonly T[], limits: FreshnessLimits): T[] {
  return pools.filter((pool) => staleness(pool, limits) === undefined)
}

/** Why `pool` is not fresh enough under `limits` (for logs and admin output), or undefined when it is. */
export function staleness(pool: FreshnessSource, limits: FreshnessLimits): string | undefined {
  const { minLsn, maxLagMs, maxLagBytes } = limits
  if (minLsn === undefined && maxLagMs === undefined && maxLagBytes === undefined) return undefined
  if (effectiveRole(pool) === 'primary') return undefined
  const monitor = pool.monitor
  const reading = monitor?.reading
  if (monitor === undefined || reading === undefined) return 'no reading yet'
  if (minLsn !== undefined && !replayedUpTo(reading.lsn, minLsn))
    return "has not replayed the client's writes"
  if (maxLagMs !== undefined) {
    const age = limits.now - reading.at
    if (age > maxReadingAge(monitor.options)) return `last reading ${age} ms old`
    if (reading.lagMs === undefined) return 'lag unknown'
    if (reading.lagMs > maxLagMs) return `lags ${reading.lagMs} ms (max ${maxLagMs})`
  }
  if (maxLagBytes !== undefined && limits.primaryLsn !== undefined) {
    const bytes = bytesBehind(reading.lsn, limits.primaryLsn)
    if (bytes > maxLagBytes) return `lags ${bytes} bytes of WAL (max ${maxLagBytes})`
  }
  return undefined
}

/** How old a reading may be and still give the lag: two intervals and a timeout (one reading late). */
export function maxReadingAge(options: ServerMonitorOptions): number {
  return 2 * options.intervalMs + options.timeoutMs
}

/** Bytes of WAL a standby at `replayLsn` lacks of a primary at `insertLsn` (0 when it has it all). */
export function bytesBehind(replayLsn: bigint, insertLsn: bigint): number {
  const behind = lsnDiff(minReplayLsn(insertLsn), replayLsn)
  return behind > 0n ? Number(behind) : 0
}
