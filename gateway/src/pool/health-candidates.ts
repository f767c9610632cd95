/**
 * Which servers of a shard may serve now, by their health: the router's filter before it picks one.
 * Roles come from the last health check when there was one (`pg_is_in_recovery()`), else from the
 * config, so after a failover writes follow the server that really is primary and a demoted one
 * serves reads. The choice among the candidates (round robin, least busy) stays the router's.
 * @module
 */
import type { ServerPool } from './server-pool.js'

/** A server's role as far as the gateway knows: the last check's answer, else the configured role. */
export function effectiveRole(pool: Pick<ServerPool, 'address' | 'health'>): 'primary' | 'replica' {
  const inRecovery = pool.health.inRecovery
  if (inRecovery === undefined) return pool.address.role === 'primary' ? 'primary' : 'replica'
  return inRecovery ? 'replica' : 'primary'
}

/**
 * The servers of `pools` not banned at `now` whose role is the one wanted: primaries for
 * `wantPrimary`, else replicas. Config order is kept.
 */
export function healthyCandidates(
  pools: readonly ServerPool[],
  now: number,
  wantPrimary: boolean,
): ServerPool[] {
  const role = wantPrimary ? 'primary' : 'replica'
  return pools.filter((p) => !p.health.banned(now) && effectiveRole(p) === role)
}

/**
 * Where a read may go: the healthy replicas, with the healthy primaries too when
 * `primaryReadsEnabled`; when no replica is healthy (all banned, or none left after a failover), the
 * healthy primaries, so reads go on instead of failing. Empty when nothing healthy is left.
 */
export function readCandidates(
  pools: readonly ServerPool[],
  now: number,
  primaryReadsEnabled: boolean,
): ServerPool[] {
  const replicas = healthyCandidates(pools, now, false)
  if (replicas.length > 0 && !primaryReadsEnabled) return replicas
  return [...replicas, ...healthyCandidates(pools, now, true)]
}

/**
 * Where a write may go: the first primary not banned; failing that, the first banned server not known
 * to be in recovery (as PgCat never bans its primary: one failed check must not stop every write
 * while a replica cannot take them anyway). Never a server whose last check found it in recovery;
 * undefined when there is none, which the router reports as the primary being down.
 */
export function writeCandidate(pools: readonly ServerPool[], now: number): ServerPool | undefined {
  const healthy = healthyCandidates(pools, now, true)[0]
  if (healthy !== undefined) return healthy
  return pools.find((p) => effectiveRole(p) === 'primary')
}
