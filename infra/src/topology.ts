import { prepareBaseDir } from './base-dir.js'
import { bootstrapPrimary, cloneReplica, initCluster } from './cluster-setup.js'
import { freePorts } from './free-port.js'
import { findPgBin } from './pg-binaries.js'
import { hbaConf } from './pg-config.js'
import { pgRunAs } from './pg-process.js'
import { PgInstance, type ServerContext } from './pg-server.js'
import { type InstanceSet, TopologyRuntime } from './topology-runtime.js'
import type { Topology, TopologyOptions, TopologyUsers } from './types.js'
import { SUPERUSER, topologyUsers } from './users.js'

export { findPgBin } from './pg-binaries.js'
export type {
  PgServer,
  StopMode,
  Topology,
  TopologyOptions,
  TopologyUser,
  TopologyUsers,
} from './types.js'

/** Name of the database on the primary (with pgbench data) and on every shard (empty). */
export const TOPOLOGY_DATABASE = 'skiff'

/**
 * Starts a primary with streaming replicas plus independent shard primaries on 127.0.0.1, all with
 * the users of {@link topologyUsers}. Everything is torn down on process exit/SIGINT/SIGTERM too.
 * @throws if a server cannot start (the message carries the last 20 lines of its log); anything
 * already started is stopped and the directory removed first.
 */
export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const startedAt = Date.now()
  const log = opts.log ?? (() => {})
  validateOptions(opts)
  // Fail with the install hint before touching the disk.
  for (const tool of ['postgres', 'initdb', 'psql', 'pgbench', 'pg_basebackup']) findPgBin(tool)
  const runAs = pgRunAs()
  const ports = await allocatePorts(opts)
  const baseDir = prepareBaseDir(opts.baseDir, runAs)
  const timedLog = (line: string) => log(`[+${Date.now() - startedAt}ms] ${line}`)
  const ctx: ServerContext = {
    baseDir,
    runAs,
    log: timedLog,
    closed: false,
    settings: opts.settings,
    replicaSettings: opts.replicaSettings,
  }
  const set = createInstances(ctx, ports, opts.basePort !== undefined)
  const runtime = new TopologyRuntime(ctx, set, opts.keepDir ?? false)
  const users = topologyUsers()
  try {
    await bringUp(runtime.set, users, opts.pgbenchScale ?? 1, ctx.log)
  } catch (err) {
    await runtime.stop()
    throw err
  }
  ctx.log(`topology ready in ${baseDir}`)
  return runtime.toTopology(users, TOPOLOGY_DATABASE)
}

function validateOptions(opts: TopologyOptions): void {
  const counts = { replicas: opts.replicas, shards: opts.shards, pgbenchScale: opts.pgbenchScale }
  for (const [name, value] of Object.entries(counts)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new Error(`startTopology: ${name} must be a non-negative integer, got ${value}`)
    }
  }
  const last = (opts.basePort ?? 1024) + (opts.replicas ?? 2) + (opts.shards ?? 2)
  if (
    opts.basePort !== undefined &&
    !(Number.isInteger(opts.basePort) && opts.basePort >= 1 && last <= 65535)
  ) {
    throw new Error(`startTopology: basePort ${opts.basePort} leaves no room for all servers' ports`)
  }
}

interface PortPlan {
  primary: number
  replicas: number[]
  shards: number[]
}

/** Consecutive ports from basePort, or kernel-picked free ones. */
async function allocatePorts(opts: TopologyOptions): Promise<PortPlan> {
  const replicaCount = opts.replicas ?? 2
  const total = 1 + replicaCount + (opts.shards ?? 2)
  const base = opts.basePort
  const ports =
    base === undefined ? await freePorts(total) : Array.from({ length: total }, (_, i) => base + i)
  const [primary = 0, ...rest] = ports
  return { primary, replicas: rest.slice(0, replicaCount), shards: rest.slice(replicaCount) }
}

function createInstances(ctx: ServerContext, ports: PortPlan, fixed: boolean): InstanceSet {
  return {
    primary: new PgInstance(ctx, 'primary', 'primary', ports.primary, fixed),
    replicas: ports.replicas.map((port, i) => new PgInstance(ctx, `replica${i + 1}`, 'replica', port, fixed)),
    shards: ports.shards.map((port, i) => new PgInstance(ctx, `shard${i + 1}`, 'primary', port, fixed)),
  }
}

/**
 * Primary chain (initdb → start → users/pgbench → parallel basebackups → replicas) runs alongside
 * the shard chains, which need nothing from the primary.
 */
async function bringUp(
  set: InstanceSet,
  users: TopologyUsers,
  pgbenchScale: number,
  log: (line: string) => void,
): Promise<void> {
  const hba = hbaConf(Object.values(users), SUPERUSER)
  const startReplica = async (replica: PgInstance) => {
    await cloneReplica(replica, set.primary, users)
    await replica.start()
    log(`${replica.name} (replica) ready on port ${replica.port}`)
  }
  const primaryChain = async () => {
    await initCluster(set.primary, hba)
    await set.primary.start()
    await bootstrapPrimary(set.primary, users, TOPOLOGY_DATABASE, pgbenchScale)
    log(`primary ready on port ${set.primary.port} (pgbench scale ${pgbenchScale})`)
    await settleAll(set.replicas.map(startReplica))
  }
  const shardChain = async (shard: PgInstance) => {
    await initCluster(shard, hba)
    await shard.start()
    await bootstrapPrimary(shard, users, TOPOLOGY_DATABASE, 0)
    log(`${shard.name} (shard primary) ready on port ${shard.port}`)
  }
  await settleAll([primaryChain(), ...set.shards.map(shardChain)])
}

/** Like Promise.all, but waits for every branch so none is still starting a server during cleanup. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}
