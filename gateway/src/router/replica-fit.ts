/**
 * Whether a replica may serve a client's read now, beyond its health: not further behind than the
 * pool's max_replica_lag, and (read_your_writes) past the client's last commit. Filled in by the
 * replication monitor's readings (pool/); until a replica has been read, it only serves pools and
 * clients that ask nothing of its position.
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import type { RoutingState } from './route.js'

/** True when replica `p` of `pool` is fresh enough for the client with `state`. */
export function replicaFits(_p: ServerPool, pool: UserPool, state: RoutingState, _now: number): boolean {
  const r = pool.routing
  const minLsn = r.readYourWrites ? state.minLsn : undefined
  if (minLsn === undefined && r.maxLagMs === undefined && r.maxLagBytes === undefined) return true
  return false
}
