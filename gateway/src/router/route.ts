/**
 * The router: for every transaction (and every request outside one) it decides which shard or shards
 * serve it, in which role, and which servers to try in order. A function of the request, the client's
 * routing state, the pool's settings and its servers' health, with no I/O, so its rules are
 * unit-tested without servers.
 *
 * Reads and writes (issue 19; PgCat's rules, with every doubt going to the primary):
 * - what may run on a replica is decided by statement-target.ts from the request's classification (a
 *   byte tokenizer, never a full parse per query); everything else goes to the shard's primary, the
 *   server its last health check found out of recovery (else the configured one), never a server
 *   known to be in recovery;
 * - where a read goes depends on the client's role (`SET SERVER ROLE`, `Skiff-Role`) or else the
 *   pool's: `auto` (query_parser_enabled and query_parser_read_write_splitting) sends reads to the
 *   replicas, and to the primary too with primary reads on; `any` (default_role, parser off) spreads
 *   them over the primary and the replicas; `replica` over the replicas; `primary` sends everything to
 *   the primary. Banned servers, replicas past max_replica_lag and (read_your_writes) replicas that
 *   have not replayed the client's last write are skipped; with no replica left a read goes to the
 *   primary instead of failing.
 * @see ../../../shared/reference/pgcat.md (routing rules)
 * @module
 */
import { GatewayError } from '../errors.js'
import { effectiveRole } from '../pool/health-candidates.js'
import type { PoolSharding } from '../pool/pool-sharding.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import type { StatementInfo } from '../sql/index.js'
import { pickServer } from './balance.js'
import { replicaFits } from './replica-fit.js'
import { type StatementShardSources, shardTarget } from './shard-target.js'
import { statementTarget } from './statement-target.js'

/** A client's choice of servers (`SET SERVER ROLE TO …`, `Skiff-Role`); `auto` splits by statement. */
export type ClientRole = 'primary' | 'replica' | 'any' | 'auto'

/** Routing state a client session carries (SET SHARD TO, SET SERVER ROLE TO, …). */
export interface RoutingState {
  /**
   * The session's shard (`SET SHARD TO`, `SET SHARDING KEY TO`, `Skiff-Shard`); unset: each
   * transaction's statement or the pool's default decides (shard-target.ts). 'all' sends each
   * transaction to every shard, replies merged as they come (tests and internal use).
   */
  shard?: number | 'all'
  /** The client's role; unset means the pool's (default_role and the query parser keys). */
  role?: ClientRole
  /** `SET PRIMARY READS`; unset means the pool's primary_reads_enabled. */
  primaryReads?: boolean
  /**
   * Read-your-writes: the WAL position the client's reads must see (a replica that has not replayed
   * it is skipped), or 'pending' while the position of its last commit is being learned (reads go to
   * the primary meanwhile). Unset: no write of its own to wait for.
   */
  minLsn?: bigint | 'pending'
}

/** What the router knows of a request (see request/client-request.ts). */
export interface RouteRequest {
  /** What its statement does; classified when first read ('empty' for a message with no SQL). */
  readonly statement: StatementInfo
  /** What the statement says of its shard (pools of several shards only; see shard-target.ts). */
  shardSources?(sharding: PoolSharding): StatementShardSources | undefined
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
  /** The transaction only reads (wherever it runs): no commit position to learn for read-your-writes. */
  readonly readOnly?: boolean
  /**
   * A read that names no shard, sent to every shard (cross_shard_reads): the session plans how their
   * results combine into one.
   */
  readonly crossShard?: boolean
}

/** How the request may run, as the session knows it: 'read' for a transaction already read only. */
export type RouteHint = 'read' | 'primary' | undefined

/** Decisions for a single shard's primary, made once per pool and shared while it stays healthy. */
const primaryDecisions = new WeakMap<UserPool, RouteDecision[]>()

/**
 * Decides where the client's next transaction goes. `hint` overrides the request's own target (the
 * session held a BEGIN and knows what the transaction is); the target `hold` never reaches here.
 */
export function routeTransaction(
  request: RouteRequest,
  state: RoutingState,
  pool: UserPool,
  hint?: RouteHint,
): RouteDecision {
  if (state.shard === 'all') return allShards(pool)
  const role = state.role ?? poolRole(pool)
  let shard = 0
  if (pool.shards.length > 1) {
    const target = hint ?? statementTarget(request.statement)
    const sources = request.shardSources?.(pool.routing.sharding)
    const ctx = { sessionShard: state.shard, inTransaction: hint !== undefined }
    const t = shardTarget(request.statement, target, sources, ctx, pool)
    if (t === 'cross-shard') return crossShard(pool, role, state)
    shard = t
  } else if (state.shard !== undefined) shard = state.shard // checked where it was set; 0 but for tests
  if (role === 'primary' || !pool.hasReplicas) return writeDecision(pool, shard)
  const target = hint ?? statementTarget(request.statement)
  if (target !== 'read') return writeDecision(pool, shard)
  return readDecision(pool, shard, role, state)
}

/** Whether a request may be held until the transaction's first statement (a lone plain BEGIN). */
export function mayHoldBegin(request: RouteRequest, state: RoutingState, pool: UserPool): boolean {
  if (state.shard === 'all') return false
  // Several shards: the transaction's shard is known at its first statement.
  if (pool.shards.length > 1 && state.shard === undefined)
    return statementTarget(request.statement) === 'hold'
  if (!pool.hasReplicas) return false
  if ((state.role ?? poolRole(pool)) === 'primary') return false
  return statementTarget(request.statement) === 'hold'
}

/** The pool's role when the client chose none. */
function poolRole(pool: UserPool): ClientRole {
  const r = pool.routing
  return r.splitting ? 'auto' : r.defaultRole
}

/** The shard's primary: the cached decision while the configured one is healthy and not in recovery. */
function writeDecision(pool: UserPool, shard: number): RouteDecision {
  const configured = primaryDecision(pool, shard)
  const primary = configured.candidates[0]!
  if (effectiveRole(primary) === 'primary' && !primary.health.banned()) return configured
  const servers = pool.shards[shard]!
  const now = Date.now()
  const healthy = servers.find((p) => effectiveRole(p) === 'primary' && !p.health.banned(now))
  if (healthy !== undefined) return { shards: [shard], role: 'primary', candidates: [healthy] }
  const known = servers.find((p) => effectiveRole(p) === 'primary')
  if (known !== undefined) return { shards: [shard], role: 'primary', candidates: [known] }
  throw new GatewayError('SERVER_UNAVAILABLE', `pool ${pool.name} has no primary for shard ${shard}`, {
    detail: 'every server of the shard is a standby (in recovery) as far as the last health checks tell',
    hint: 'promote a replica, or run only reads (SET SERVER ROLE TO replica) until a primary is back',
  })
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

/**
 * A read: the shard's servers the role allows, fit and healthy, balanced; the primary last. The
 * decisions for each set of fit servers are made once and kept (one per server that may be picked),
 * so a read allocates nothing while the set stays the same.
 */
function readDecision(pool: UserPool, shard: number, role: ClientRole, state: RoutingState): RouteDecision {
  const servers = pool.shards[shard]
  if (servers === undefined) return primaryDecision(pool, shard)
  const now = Date.now()
  const withPrimary = role === 'any' || (role === 'auto' && (state.primaryReads ?? pool.routing.primaryReads))
  let mask = 0
  let primary = -1
  for (let i = 0; i < servers.length; i++) {
    const p = servers[i]!
    if (p.health.banned(now)) continue
    if (effectiveRole(p) === 'primary') {
      if (primary < 0) primary = i
      if (withPrimary) mask |= 1 << i
    } else if (replicaFits(p, pool, state, now)) mask |= 1 << i
  }
  if (mask === 0) return { ...writeDecision(pool, shard), readOnly: true }
  const choices = readChoices(pool, shard, mask, primary)
  return choices.decisions[pickServer(choices.fits, pool.routing.loadBalancing)]!
}

/** The fit servers of one set (`mask`: bit i for server i of the shard) and a decision per pick. */
interface ReadChoices {
  readonly fits: readonly ServerPool[]
  readonly decisions: readonly RouteDecision[]
}

const readChoiceCache = new WeakMap<UserPool, Map<number, ReadChoices>>()

function readChoices(pool: UserPool, shard: number, mask: number, primary: number): ReadChoices {
  let cache = readChoiceCache.get(pool)
  if (cache === undefined) {
    cache = new Map()
    readChoiceCache.set(pool, cache)
  }
  // Up to 31 servers a shard (the mask's bits), primary index below 64.
  const key = (mask * 64 + primary + 1) * 1024 + shard
  let choices = cache.get(key)
  if (choices === undefined) {
    const servers = pool.shards[shard]!
    const fits = servers.filter((_, i) => (mask & (1 << i)) !== 0)
    const last = primary < 0 ? undefined : servers[primary]
    const decisions = fits.map((first, i) => {
      const candidates = [first, ...fits.filter((_, j) => j !== i)]
      if (last !== undefined && !candidates.includes(last)) candidates.push(last)
      return { shards: [shard], role: effectiveRole(first), candidates, readOnly: true }
    })
    choices = { fits, decisions }
    cache.set(key, choices)
  }
  return choices
}

/**
 * A cross-shard read: one server of every shard, each picked as a read of that shard is (a replica
 * when the role allows it), so the fan-out spreads like single-shard reads do.
 */
function crossShard(pool: UserPool, role: ClientRole, state: RoutingState): RouteDecision {
  const shards = pool.shards.map((_, i) => i)
  const read = role !== 'primary' && pool.hasReplicas
  const candidates = shards.map(
    (i) => (read ? readDecision(pool, i, role, state) : writeDecision(pool, i)).candidates[0]!,
  )
  return { shards, role: read ? 'replica' : 'primary', candidates, readOnly: true, crossShard: true }
}

/** A multi-shard read: the primary of every shard. */
function allShards(pool: UserPool): RouteDecision {
  const shards = pool.shards.map((_, i) => i)
  const candidates = shards.map((i) => writeDecision(pool, i).candidates[0]!)
  return { shards, role: 'primary', candidates }
}
