/**
 * The one routing decision point between a client session and the pools: which server pool serves the
 * client's next transaction.
 *
 * Today a transaction goes to the primary of the session's shard (0 unless a front chose another), or
 * to a replica of it when the session asked for one (HTTP's `Skiff-Role: replica`). Read/write splitting
 * by statement, replica health and sharding by key plug in here, deciding from the session's routing
 * state and the first statement of the transaction (through a shape cache, never a full parse per query).
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'

/** Routing state a client session carries (grows with SET SHARD TO, SET SERVER ROLE TO, …). */
export interface RoutingState {
  shard: number
  /** Which server role serves the session; unset means the primary. */
  role?: 'primary' | 'replica'
}

/** Picks the server pool for the client's next transaction. */
export function routeTransaction(pool: UserPool, state: RoutingState): ServerPool {
  if (state.role === 'replica') return pool.nextReplica(state.shard) ?? pool.primary(state.shard)
  return pool.primary(state.shard)
}
