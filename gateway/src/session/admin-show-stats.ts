/**
 * SHOW STATS, SHOW STATS_TOTALS and SHOW STATS_AVERAGES: one row per pool (database and user, as
 * PgCat), from the counters of its server pools (stats/counters.ts). Totals since start; averages over
 * the last completed stats period (stats/stats-period.ts, 60 s as PgBouncer's default stats_period),
 * zero until one has ended since the console was first asked for statistics.
 * @see https://www.pgbouncer.org/usage.html#show-stats
 * @module
 */
import type { UserPool } from '../pool/user-pool.js'
import { PoolCounters } from '../stats/counters.js'
import { errorCount, type PeriodAverages, StatsPeriod } from '../stats/stats-period.js'
import { type AdminColumn, type AdminValue, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I8 = Oid.int8

/** A user pool's counters now: its server pools' own (closed connections included) and their open connections'. */
export function poolTotals(pool: UserPool): PoolCounters {
  const sum = new PoolCounters()
  for (const sp of pool.serverPools()) sum.addPool(sp.totals())
  return sum
}

/** One sampler per set of sources, started by the first SHOW STATS* (no timer for a gateway never asked). */
const periods = new WeakMap<AdminSources, StatsPeriod<UserPool>>()

function period(src: AdminSources): StatsPeriod<UserPool> {
  let p = periods.get(src)
  if (p === undefined) {
    p = new StatsPeriod(() => [...src.pools.userPools()].map((pool) => [pool, poolTotals(pool)] as const))
    p.start()
    periods.set(src, p)
  }
  return p
}

const STATS_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['user', T],
  ...[
    'total_xact_count',
    'total_query_count',
    'total_received',
    'total_sent',
    'total_xact_time',
    'total_query_time',
    'total_wait_time',
    'total_errors',
    'avg_xact_count',
    'avg_query_count',
    'avg_recv',
    'avg_sent',
    'avg_errors',
    'avg_xact_time',
    'avg_query_time',
    'avg_wait_time',
    'total_server_assignment_count',
    'avg_server_assignment_count',
    'max_wait_time',
    'total_prepare_cache_hit',
    'total_prepare_cache_miss',
    'total_pins',
  ].map((name): AdminColumn => [name, I8]),
]

/** Columns shared by STATS_TOTALS and STATS_AVERAGES (PgBouncer's names without prefix). */
const PART_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['user', T],
  ...[
    'server_assignment_count',
    'xact_count',
    'query_count',
    'bytes_received',
    'bytes_sent',
    'xact_time',
    'query_time',
    'wait_time',
    'errors',
  ].map((name): AdminColumn => [name, I8]),
]

function totalsRow(c: PoolCounters): AdminValue[] {
  return [
    c.checkouts,
    c.xactCount,
    c.queryCount,
    c.bytesReceived,
    c.bytesSent,
    c.xactTimeMicros,
    c.queryTimeMicros,
    c.waitTimeMicros,
    errorCount(c),
  ]
}

function averagesRow(a: PeriodAverages): AdminValue[] {
  return [
    a.serverAssignments,
    a.xactCount,
    a.queryCount,
    a.received,
    a.sent,
    a.xactTime,
    a.queryTime,
    a.waitTime,
    a.errors,
  ]
}

function showStats(src: AdminSources) {
  const p = period(src)
  const out: AdminValue[][] = []
  for (const pool of src.pools.userPools()) {
    const c = poolTotals(pool)
    const a = p.averages(pool)
    out.push([
      pool.database,
      pool.username,
      c.xactCount,
      c.queryCount,
      c.bytesReceived,
      c.bytesSent,
      c.xactTimeMicros,
      c.queryTimeMicros,
      c.waitTimeMicros,
      errorCount(c),
      a.xactCount,
      a.queryCount,
      a.received,
      a.sent,
      a.errors,
      a.xactTime,
      a.queryTime,
      a.waitTime,
      c.checkouts,
      a.serverAssignments,
      c.maxWaitMicros,
      c.prepareCacheHits,
      c.prepareCacheMisses,
      pool.pins.total,
    ])
  }
  return rows(STATS_COLUMNS, out)
}

function showTotals(src: AdminSources) {
  const out = [...src.pools.userPools()].map((pool) => [
    pool.database,
    pool.username,
    ...totalsRow(poolTotals(pool)),
  ])
  return rows(PART_COLUMNS, out)
}

function showAverages(src: AdminSources) {
  const p = period(src)
  const out = [...src.pools.userPools()].map((pool) => [
    pool.database,
    pool.username,
    ...averagesRow(p.averages(pool)),
  ])
  return rows(PART_COLUMNS, out)
}

/** SHOW STATS, STATS_TOTALS, STATS_AVERAGES. */
export const STATS_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'SHOW STATS',
    help: 'traffic per pool: totals and averages',
    columns: STATS_COLUMNS,
    run: showStats,
  },
  { name: 'SHOW STATS_TOTALS', help: 'traffic per pool since start', columns: PART_COLUMNS, run: showTotals },
  {
    name: 'SHOW STATS_AVERAGES',
    help: 'traffic per pool over the last stats period (60 s)',
    columns: PART_COLUMNS,
    run: showAverages,
  },
]
