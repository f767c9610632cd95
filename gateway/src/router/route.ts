/**
 * The router: for every transaction (and every request outside one) it decides which shard or shards
 * serve it, in which role, and which servers to try in order. A pure function of the request, the
 * client's routing state and the pool, with no I/O, so its rules are unit-tested without servers.
 *
 * Today: the session's shard (0 unless a front or a test chose another; `'all'` fans a read out to the
 * primary of every shard), the primary unless the session asked for replicas (HTTP's
 * `Skiff-Role: replica`), replicas in turn with the primary as the last candidate. Read/write splitting
 * by statement, replica health and sharding by key plug in here, reading the request's statement shape
 * (request/client-request.ts: a fast tokenizer, never a full parse per query).
 * @see ../../../shared/reference/pgcat.md (routing rules)
 * @module
 */
import { GatewayError } from '../errors.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import type { StatementInfo } from '../sql/index.js'

/** Routing state a client session carries (grows with SET SHARD TO, SET SERVER ROLE TO, …). */
export interface RoutingState {
  /** The shard of the client's transactions; 'all' sends each to every shard (a multi-shard read). */
  shard: number | 'all'
  /** Which server role serves the session; unset means the primary. */
  role?: 'primary' | 'replica'
}

/** What the router knows of a request (see request/client-request.ts). */
export interface RouteRequest {
  /** What its statement does; classified when first read ('empty' for a message with no SQL). */
  readonly statement: StatementInfo
}

/** Where one transaction goes. */
export interface RouteDecision {
  /** The shards it runs on: one, or several for a multi-shard request. */
  readonly shards: readonly number[]
  readonly role: 'primary' | 'replica'
  /**
   * One shard: the servers to try, best first. Several shards: one server per shard, in `shards` order.
   */
  readonly candidates: readonly ServerPool[]
}

/** Decisions for a single shard's primary never change for a pool: made once, shared by all clients. */
const primaryDecisions = new WeakMap<UserPool, RouteDecision[]>()

/** Decides where the client's next transaction goes. */
export function routeTransaction(_request: RouteRequest, state: RoutingState, pool: UserPool): RouteDecision {
  const role = state.role ?? 'primary'
  if (state.shard === 'all') return allShards(pool, role)
  const shard = state.shard
  if (role === 'replica') {
    const replica = pool.nextReplica(shard)
    const primary = pool.primary(shard)
    const candidates = replica === undefined ? [primary] : [replica, primary]
    return { shards: [shard], role, candidates }
  }
  return primaryDecision(pool, shard)
}

function primaryDecision(pool: UserPool, shard: number): RouteDecision {
  let decisions = primaryDecisions.get(pool)
  if (decisions === undefined) {
    decisions = pool.shards.map((_, i) => ({ shards: [i], role: 'primary', candidates: [pool.primary(i)] }))
    primaryDecisions.set(pool, decisions)
  }
  const decision = decisions[shard]
  if (decision === undefined)
    throw new GatewayError('BAD_REQUEST', `pool ${pool.name} has no shard ${shard}`, {
      hint: `its shards are 0 to ${pool.shards.length - 1}`,
    })
  return decision
}

function allShards(pool: UserPool, role: 'primary' | 'replica'): RouteDecision {
  const shards = pool.shards.map((_, i) => i)
  const candidates = shards.map(
    (i) => (role === 'replica' ? pool.nextReplica(i) : undefined) ?? pool.primary(i),
  )
  return { shards, role, candidates }
}
