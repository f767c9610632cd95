/**
 * A (database, user) pool: what clients of that pair share. It holds one ServerPool per configured
 * server of every shard; which one serves a transaction is the router's decision.
 * @module
 */
import type { ClientAuthMethod, UserCredential } from '../auth/client-auth.js'
import { NotificationListener } from './notification-listener.js'
import type { ServerPool } from './server-pool.js'

/** How long a client keeps a server connection. */
export type PoolMode = 'transaction' | 'session'

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
  ) {}

  private listenerInstance?: NotificationListener

  /**
   * The pool's listener connection on the primary of shard 0 (transaction mode's LISTEN/NOTIFY),
   * made on first use; undefined when notification_listener is off.
   */
  get listener(): NotificationListener | undefined {
    if (!this.listenerEnabled || this.poolMode !== 'transaction') return undefined
    this.listenerInstance ??= NotificationListener.forPool(this.primary(0))
    return this.listenerInstance
  }

  /** Closes every server connection of the pool and its listener (shutdown, removal by a reload). */
  close(): void {
    for (const pool of this.serverPools()) pool.close()
    this.listenerInstance?.close()
  }

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

  /** The primary of a shard (config validation guarantees there is one). */
  primary(shard: number): ServerPool {
    const servers = this.shards[shard] ?? []
    return servers.find((p) => p.address.role === 'primary') ?? servers[0]!
  }

  /** The shard's replicas in turn (round robin); undefined when it has none. */
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
