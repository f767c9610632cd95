/**
 * The things pgbench is pointed at (direct Postgres, PgBouncer, Skiff; with `--split`, Skiff with
 * read/write splitting off and on; with `--shard`, Skiff over three shards and shard 0 direct) and
 * the environment that owns them, so one place can start, restart and tear everything down.
 */
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology, type Topology } from '../src/index.js'
import { pgRunAs } from '../src/pg-process.js'
import type { BenchOptions } from './options.js'
import { prepareReplicas, storedSecrets, vacuum } from './pg-admin.js'
import { type RunningProxy, startPgBouncer } from './pgbouncer.js'
import { type DirectName, isDirect, TARGET_LABELS, type TargetName } from './report.js'
import { loadShards, SHARD_COUNT, SHARDING_KEY, type ShardScripts, writeShardScripts } from './shard-setup.js'
import { type SkiffOptions, startSkiff } from './skiff.js'

/** The targets that are a proxy process (all but the direct ones). */
export type ProxyName = Exclude<TargetName, DirectName>

/** Streaming replicas behind the `--split` pools. */
const SPLIT_REPLICAS = 2

/**
 * What one run measures, in the order of round 1. `--split`: three Skiff processes, one per side, not
 * two pools in one: each has its own heap and JIT feedback (the off side's hot paths are not shaped
 * by the parser's), its CPU is read from its own /proc entry, and as runs alternate the idle one
 * costs nothing.
 */
export function targetsOf(opts: BenchOptions): TargetName[] {
  if (opts.split) return ['split-off', 'split-off-replicas', 'split-on']
  return opts.shard ? ['shard-skiff', 'shard-direct'] : ['direct', 'pgbouncer', 'skiff']
}

/** Everything one benchmark run started; fields fill in as setup progresses. */
export interface BenchEnv {
  repoRoot: string
  opts: BenchOptions
  /** Work dir for configs and proxy logs (the topology has its own). */
  dir: string
  topology?: Topology
  /** The running proxies, by target. */
  proxies: Partial<Record<ProxyName, RunningProxy>>
  /** pg_authid.rolpassword of the login users, for PgBouncer's auth_file. */
  secrets?: { username: string; secret: string }[]
  /**
   * `--shard`: the pgbench scripts, how many `sh_bench` rows each shard holds, and (after the runs)
   * the `sum(balance)` on each.
   */
  shard?: { scripts: ShardScripts; rows: number[]; balances?: number[] }
  /** Proxy crashes seen between runs, for the report. */
  restarts: string[]
  /** Set on SIGINT/SIGTERM/watchdog: stop measuring, restart nothing. */
  aborted?: boolean
}

const say = (line: string): void => console.error(`[bench] ${line}`)

/** A work dir PgBouncer can read when it runs as `postgres` (we may be root). */
export function makeWorkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'))
  const runAs = pgRunAs()
  if (runAs) chownSync(dir, runAs.uid, runAs.gid)
  return dir
}

/**
 * Topology, then the proxies. Primary only (replicas and shards would only take CPU from the
 * measurement), except for `--split`, which needs its streaming replicas, and `--shard`, which needs
 * its shard primaries (and leaves the primary idle: scale 1, not vacuumed).
 */
export async function setUp(env: BenchEnv): Promise<void> {
  const started = Date.now()
  const replicas = env.opts.split ? SPLIT_REPLICAS : 0
  const shards = env.opts.shard ? SHARD_COUNT : 0
  const pgbenchScale = env.opts.shard ? 1 : env.opts.scale
  say(
    `starting Postgres (pgbench scale ${pgbenchScale}, ${replicas} streaming replicas, ${shards} shards) ...`,
  )
  env.topology = await startTopology({ replicas, shards, pgbenchScale })
  const { primary } = env.topology
  const after = `after ${((Date.now() - started) / 1000).toFixed(1)} s`
  if (shards > 0) {
    const ports = env.topology.shards.map((s) => s.port).join(', ')
    say(`shard primaries on ports ${ports} ${after}; loading sh_bench, VACUUM ANALYZE ...`)
    env.shard = { rows: loadShards(env.topology), scripts: writeShardScripts(env.dir) }
    say(`sh_bench rows per shard: ${env.shard.rows.join(', ')}`)
  } else {
    say(`Postgres on port ${primary.port} ${after}; VACUUM ANALYZE ...`)
    vacuum(env.topology)
  }
  if (replicas > 0) {
    const ports = env.topology.replicas.map((r) => r.port).join(', ')
    say(`replicas on ports ${ports}; waiting for them to replay the VACUUM, then pg_prewarm everywhere ...`)
    await prepareReplicas(env.topology)
  }
  env.secrets = storedSecrets(env.topology)
  for (const name of targetsOf(env.opts)) {
    if (isDirect(name)) continue
    const proxy = await startProxy(env, name)
    env.proxies[name] = proxy
    say(`${TARGET_LABELS[name]}: port ${proxy.port} (pid ${proxy.daemon.pid()})`)
  }
  say(`work dir ${env.dir}`)
}

function startProxy(env: BenchEnv, name: ProxyName): Promise<RunningProxy> {
  if (name === 'pgbouncer') return startPgBouncer(pgbouncerOptions(env))
  if (name === 'skiff') return startSkiff(skiffOptions(env))
  if (name === 'shard-skiff') return startSkiff(shardSkiffOptions(env))
  const replicaPorts = (env.topology as Topology).replicas.map((r) => r.port)
  const side = name === 'split-on' ? 'on' : name === 'split-off-replicas' ? 'off-replicas' : 'off-primary'
  return startSkiff({ ...skiffOptions(env), name, splitting: { side, replicaPorts } })
}

function pgbouncerOptions(env: BenchEnv) {
  const topology = env.topology as Topology
  const authType = env.opts.user === 'md5' ? ('md5' as const) : ('scram-sha-256' as const)
  const { dir, opts, secrets = [] } = env
  return {
    dir,
    serverPort: topology.primary.port,
    database: topology.database,
    users: secrets,
    authType,
    poolSize: opts.poolSize,
  }
}

function skiffOptions(env: BenchEnv): SkiffOptions {
  const topology = env.topology as Topology
  const { scram, md5 } = topology.users
  const { repoRoot, dir, opts } = env
  return {
    repoRoot,
    dir,
    serverPort: topology.primary.port,
    database: topology.database,
    scram,
    md5,
    poolSize: opts.poolSize,
  }
}

/** `--shard`: one pool named after the shards' database, a shard per shard primary. */
function shardSkiffOptions(env: BenchEnv): SkiffOptions {
  const topology = env.topology as Topology
  const shardPorts = topology.shards.map((s) => s.port)
  const database = topology.shardDatabase
  return { ...skiffOptions(env), name: 'shard-skiff', database, sharding: { shardPorts, key: SHARDING_KEY } }
}

/**
 * Restarts a proxy that died (Skiff is under active development) so one crash costs one sample,
 * not the rest of the run.
 * @returns undefined when the proxy is up, else why it is not (recorded as that run's failure).
 */
export async function ensureProxy(env: BenchEnv, name: ProxyName): Promise<string | undefined> {
  const proxy = env.proxies[name]
  if (proxy?.daemon.pid() !== undefined) return undefined
  if (env.aborted) return 'benchmark aborted'
  const why = proxy ? `exited (${proxy.daemon.exitReason()})` : 'not running'
  say(`${name} ${why}; restarting`)
  try {
    env.proxies[name] = await startProxy(env, name)
    env.restarts.push(`${name} ${why}; restarted`)
    return undefined
  } catch (err) {
    delete env.proxies[name]
    return `${why}; restart failed: ${(err as Error).message.split('\n')[0]}`
  }
}

/** Stops proxies, then Postgres; removes the work dir unless `keepDir` (its logs explain failures). */
export async function tearDown(env: BenchEnv, keepDir: boolean): Promise<void> {
  await Promise.allSettled(Object.values(env.proxies).map((proxy) => proxy.daemon.stop()))
  await env.topology?.stop()
  if (keepDir) say(`logs kept in ${env.dir}`)
  else rmSync(env.dir, { recursive: true, force: true })
}
