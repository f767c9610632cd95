/**
 * A (database, user) pool: what clients of that pair share. It holds one ServerPool per configured
 * server of every shard; which one serves a transaction is the router's decision.
 * @module
 */
import type { ClientAuthMethod, UserCredential } from '../auth/client-auth.js'
import type { AuthQuery } from './auth-query.js'
import { effectiveRole } from './health-candidates.js'
import { NotificationListener } from './notification-listener.js'
import { type PoolSharding, UNSHARDED } from './pool-sharding.js'
import type { ServerPool } from './server-pool.js'
import type { TableVersionsMode } from './table-versions.js'

/** How long a client keeps a server connection. */
export type PoolMode = 'transaction' | 'session'

/** Where a pool's reads go when the client has not chosen (`default_role` and the query parser keys). */
export type DefaultRole = 'any' | 'replica' | 'primary'

/** A pool's routing settings, resolved from the config (see router/route.ts for what they mean). */
export interface PoolRouting {
  /** default_role. */
  readonly defaultRole: DefaultRole
  /** query_parser_enabled and query_parser_read_write_splitting: reads to the replicas by statement. */
  readonly splitting: boolean
  /** primary_reads_enabled: with splitting, the primary takes reads alongside the replicas. */
  readonly primaryReads: boolean
  /** load_balancing_mode: random (weighted) or least outstanding connections. */
  readonly loadBalancing: 'random' | 'loc'
  /** read_your_writes: a client's reads after its write only where that write has been replayed. */
  readonly readYourWrites: boolean
  /** max_replica_lag_ms / _bytes: replicas further behind are skipped for reads. */
  readonly maxLagMs?: number
  readonly maxLagBytes?: number
  /** Sharding keys (pool-sharding.ts). */
  readonly sharding: PoolSharding
}

/** Everything to the primary: a pool without replicas, and tests that build pools by hand. */
export const PRIMARY_ONLY: PoolRouting = {
  defaultRole: 'any',
  splitting: false,
  primaryReads: false,
  loadBalancing: 'random',
  readYourWrites: false,
  sharding: UNSHARDED,
}

/** Everything the sessions of one (database, user) pair share. */
export class UserPool {
  private replicaTurn = -1
  /** Replicas of each shard, derived once from `shards` (which never changes after construction). */
  private replicasByShard?: ServerPool[][]

  constructor(
    /** Database name clients ask for (the `pools.<name>` key). */
    readonly database: string,
    readonly username: string,
    readonly poolMode: PoolMode,
    readonly authMethod: ClientAuthMethod,
    readonly credential: UserCredential,
    /** `shards[i][j]`: server j of shard i, in config order (role primary or replica). */
    readonly shards: ServerPool[][],
    /** ms a client may sit idle inside a transaction before it is disconnected (0 = never). */
    readonly idleInTransactionTimeout: number,
    /** Statements kept per server connection; 0 turns statement renaming off. */
    readonly preparedStatementsCacheSize: number,
    /** Transaction mode: a client with state only its server holds keeps that server (pin_session_state). */
    readonly pinSessionState = true,
    /** Transaction mode: LISTEN/UNLISTEN go through one listener connection (notification_listener). */
    readonly listenerEnabled = true,
    /** Where reads go (default_role, the query parser keys, load balancing, replica lag). */
    readonly routing: PoolRouting = PRIMARY_ONLY,
  ) {}

  private listenerInstance?: NotificationListener

  /** Set for a user listed without a password in a pool with auth_query: its secret comes from there. */
  authQuery?: AuthQuery

  /**
   * The pool's listener connection on the primary of shard 0 (transaction mode's LISTEN/NOTIFY),
   * made on first use; undefined when notification_listener is off.
   */
  get listener(): NotificationListener | undefined {
    if (!this.listenerEnabled || this.poolMode !== 'transaction') return undefined
    this.listenerInstance ??= NotificationListener.forPool(this.primary(0), undefined, () =>
      this.currentPrimary(0),
    )
    return this.listenerInstance
  }

  /** Some client listens through the pool's listener now (a retired pool stays open for it). */
  get listening(): boolean {
    return (this.listenerInstance?.stats().subscribers ?? 0) > 0
  }

  /** Closes every server connection of the pool and its listener (shutdown, removal by a reload). */
  close(): void {
    for (const pool of this.serverPools()) pool.close()
    this.listenerInstance?.close()
  }

  /** `[pools.X] table_versions` (issue 22's edge read cache); set by build-pools.ts. */
  tableVersions: TableVersionsMode = 'routed'

  /** transaction_timeout in ms (0: none); set by build-pools.ts. */
  transactionTimeout = 0

  /** Clients pinned to a server connection now, and pins since start (pin_session_state). */
  readonly pins = { current: 0, total: 0 }

  /**
   * Startup settings already accepted by a server of this pool (key: the client's startup settings),
   * with the reported values they led to: a client sending the same ones logs in without a round trip.
   */
  readonly acceptedStartups = new Map<string, Map<string, string>>()

  /** `database/user`, as in logs and SHOW POOLS. */
  get name(): string {
    return `${this.database}/${this.username}`
  }

  /**
   * The configured primary of a shard; a shard of replicas only gives its first server (where a write
   * is refused by the server itself, never written to a guessed place).
   */
  primary(shard: number): ServerPool {
    const servers = this.shards[shard] ?? []
    return servers.find((p) => p.address.role === 'primary') ?? servers[0]!
  }

  /**
   * The server of a shard that is primary now: the first not banned whose last check found it out of
   * recovery (after a failover, the promoted one), else the configured primary.
   */
  currentPrimary(shard: number): ServerPool {
    const servers = this.shards[shard] ?? []
    const now = Date.now()
    return servers.find((p) => effectiveRole(p) === 'primary' && !p.health.banned(now)) ?? this.primary(shard)
  }

  /** True when some shard lists a replica: reads may leave the primary, background checks are worth it. */
  get hasReplicas(): boolean {
    this.replicasListed ??= this.shards.some((servers) => servers.some((p) => p.address.role === 'replica'))
    return this.replicasListed
  }

  private replicasListed?: boolean

  /** The shard's configured replicas in turn (round robin); undefined when it has none. */
  nextReplica(shard: number): ServerPool | undefined {
    this.replicasByShard ??= this.shards.map((servers) => servers.filter((p) => p.address.role === 'replica'))
    const replicas = this.replicasByShard[shard] ?? []
    if (replicas.length === 0) return undefined
    this.replicaTurn = (this.replicaTurn + 1) % replicas.length
    return replicas[this.replicaTurn]
  }

  /** Every server pool of every shard. */
  *serverPools(): Iterable<ServerPool> {
    for (const shard of this.shards) yield* shard
  }
}
