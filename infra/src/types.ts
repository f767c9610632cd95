/** One running PostgreSQL server of a topology. */
export interface PgServer {
  /** `primary`, `replica1`, `replica2`, `shard1`, ... */
  name: string
  host: '127.0.0.1'
  port: number
  /** What the server was started as; a replica becomes `primary` once {@link Topology.promote} returns. */
  readonly role: 'primary' | 'replica'
  dataDir: string
  /** PID of the postmaster, or undefined while the server is not running. */
  pid(): number | undefined
}

/** A login role and the pg_hba method it is forced to authenticate with. */
export interface TopologyUser {
  username: string
  password: string
  auth: 'scram-sha-256' | 'md5' | 'password' | 'trust'
}

/** The login roles present on every server (replicas inherit them from the primary). */
export interface TopologyUsers {
  superuser: TopologyUser
  scram: TopologyUser
  md5: TopologyUser
  plain: TopologyUser
  trust: TopologyUser
}

/**
 * How {@link Topology.stop} stops one server, as `pg_ctl stop -m`: `fast` (SIGINT) rolls back and
 * disconnects every session, writes a shutdown checkpoint and lets the WAL senders send all of it;
 * `immediate` (SIGQUIT) ends every process at once, so the next start runs crash recovery.
 */
export type StopMode = 'fast' | 'immediate'

/** A running primary + streaming replicas + independent shard primaries. */
export interface Topology {
  primary: PgServer
  replicas: PgServer[]
  /** Extra independent primaries (not replicating), each with an empty `shardDatabase`. */
  shards: PgServer[]
  users: TopologyUsers
  /** Database holding the pgbench tables on the primary (and therefore on the replicas). */
  database: string
  /** Database created, empty, on each shard. */
  shardDatabase: string
  baseDir: string
  /** Idempotent: fast-shutdown every server, then remove baseDir unless `keepDir`. */
  stop(): Promise<void>
  /**
   * Stops one server (`pg_ctl stop -m <mode>`) and waits until all its processes are gone; the rest
   * of the topology keeps running. A no-op when it is already stopped.
   */
  stop(server: PgServer, mode: StopMode): Promise<void>
  /**
   * Starts a server stopped by `stop(server, mode)` on the same port and waits until it accepts
   * connections in its role: a replica comes back as a hot standby (after crash recovery if it was
   * stopped `immediate`) and reconnects to its primary by itself, within `wal_retrieve_retry_interval`
   * of the primary being reachable. Throws when the server is running.
   */
  start(server: PgServer): Promise<void>
  /**
   * `pg_ctl promote` a running replica, then waits until `pg_is_in_recovery()` is false; its role is
   * `primary` from then on (later starts expect a primary). Other replicas keep following the old
   * primary: nothing re-points them.
   */
  promote(server: PgServer): Promise<void>
  /** kill -9 one server (and its backends), then start it again and wait until it is ready. */
  restart(server: PgServer): Promise<void>
}

/** Options for `startTopology`. */
export interface TopologyOptions {
  /** Directory for all data dirs, sockets and logs (created; must be empty or a previous topology's). */
  baseDir?: string
  /** Streaming replicas of the primary (default 2). */
  replicas?: number
  /** Independent shard primaries (default 2). */
  shards?: number
  /** `pgbench -i -s` scale for the primary's database (default 1 = 100000 accounts). */
  pgbenchScale?: number
  /** Primary gets basePort, replicas and shards the following ports. Default: free ports. */
  basePort?: number
  /**
   * Extra postgresql.conf settings for every server, written after (so overriding) the topology's own,
   * e.g. `{ max_prepared_transactions: 2 }`. Values are written as given: quote strings yourself.
   */
  settings?: Record<string, string | number>
  /**
   * Extra postgresql.conf settings for the replicas only, written after `settings` at every start of
   * a server that is a replica then, e.g. `{ recovery_min_apply_delay: "'2s'" }` (a lagging replica).
   */
  replicaSettings?: Record<string, string | number>
  /** Leave baseDir on disk after stop() (servers are still stopped). */
  keepDir?: boolean
  /** Progress lines (timings, ports); silent by default. */
  log?: (line: string) => void
}
