import type { PgServer, Topology, TopologyUsers } from './types.js'

/** JSON-safe snapshot of a {@link PgServer}. */
export interface ServerDescription {
  name: string
  host: '127.0.0.1'
  port: number
  role: 'primary' | 'replica'
  dataDir: string
  /** Postmaster PID when described, null if it was not running. */
  pid: number | null
}

/** What `topology-cli --json FILE` writes: everything a test needs to connect, no live handles. */
export interface TopologyDescription {
  baseDir: string
  /** Unix sockets live here (libpq `host=` a directory); TCP is 127.0.0.1 on each port. */
  socketDir: string
  database: string
  shardDatabase: string
  primary: ServerDescription
  replicas: ServerDescription[]
  shards: ServerDescription[]
  users: TopologyUsers
  /** PID of the process that owns the servers (the CLI); they stop when it gets SIGINT/SIGTERM. */
  ownerPid: number
}

function describeServer(server: PgServer): ServerDescription {
  const { name, host, port, role, dataDir } = server
  return { name, host, port, role, dataDir, pid: server.pid() ?? null }
}

/** Serializable description of a running topology. */
export function describeTopology(topology: Topology): TopologyDescription {
  return {
    baseDir: topology.baseDir,
    socketDir: topology.baseDir,
    database: topology.database,
    shardDatabase: topology.shardDatabase,
    primary: describeServer(topology.primary),
    replicas: topology.replicas.map(describeServer),
    shards: topology.shards.map(describeServer),
    users: topology.users,
    ownerPid: process.pid,
  }
}
