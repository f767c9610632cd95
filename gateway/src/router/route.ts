/**
 * The one routing decision point between a client session and the pools: which server pool serves the
 * client's next transaction.
 *
 * Today every transaction goes to the primary of shard 0. Read/write splitting, replica load balancing
 * and sharding plug in here, deciding from the session's routing state and the first statement of the
 * transaction (through a shape cache, never a full parse per query).
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'

/** Routing state a client session carries (grows with SET SHARD TO, SET SERVER ROLE TO, …). */
export interface RoutingState {
  shard: number
}

/** Picks the server pool for the client's next transaction. */
export function routeTransaction(pool: UserPool, state: RoutingState): ServerPool {
  return pool.primary(state.shard)
}
