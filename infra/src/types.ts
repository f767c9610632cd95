/** One running PostgreSQL server of a topology. */
export interface PgServer {
  /** `primary`, `replica1`, `replica2`, `shard1`, ... */
  name: string
  host: '127.0.0.1'
  port: number
  role: 'primary' | 'replica'
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
  /** Leave baseDir on disk after stop() (servers are still stopped). */
  keepDir?: boolean
  /** Progress lines (timings, ports); silent by default. */
  log?: (line: string) => void
}
