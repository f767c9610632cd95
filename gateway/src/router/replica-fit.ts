/**
 * Whether a replica may serve a client's read now, beyond its health: not further behind than the
 * pool's max_replica_lag_ms / _bytes, and (read_your_writes) past the client's last commit, by the
 * replication monitor's readings (pool/replica-freshness.ts). A client whose last commit's position
 * is still being learned ('pending') reads from the primary meanwhile.
 * @module
 */
import { effectiveRole } from '../pool/health-candidates.js'
import { staleness } from '../pool/replica-freshness.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import type { RoutingState } from './route.js'

/** True when replica `p` of `pool` is fresh enough for the client with `state`. */
export function replicaFits(p: ServerPool, pool: UserPool, state: RoutingState, now: number): boolean {
  const r = pool.routing
  const minLsn = r.readYourWrites ? state.minLsn : undefined
  if (minLsn === undefined && r.maxLagMs === undefined && r.maxLagBytes === undefined) return true
  if (minLsn === 'pending') return false
  const limits = {
    minLsn,
    maxLagMs: r.maxLagMs,
    maxLagBytes: r.maxLagBytes,
    primaryLsn: primaryLsn(pool, p),
    now,
  }
  return staleness(p, limits) === undefined
}

/** The last known WAL position of the primary of `p`'s shard (for max_replica_lag_bytes). */
function primaryLsn(pool: UserPool, p: ServerPool): bigint | undefined {
  if (pool.routing.maxLagBytes === undefined) return undefined
  const servers = pool.shards[p.address.shard] ?? []
  return servers.find((s) => effectiveRole(s) === 'primary')?.monitor?.lsn
}
