/**
 * The three things pgbench is pointed at (direct Postgres, PgBouncer, Skiff) and the environment
 * that owns them, so one place can start, restart and tear everything down.
 */
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTopology, type Topology } from '../src/index.js'
import { pgRunAs } from '../src/pg-process.js'
import type { BenchOptions } from './options.js'
import { storedSecrets, vacuum } from './pg-admin.js'
import { type RunningProxy, startPgBouncer } from './pgbouncer.js'
import { startSkiff } from './skiff.js'

/** Everything one benchmark run started; fields fill in as setup progresses. */
export interface BenchEnv {
  repoRoot: string
  opts: BenchOptions
  /** Work dir for configs and proxy logs (the topology has its own). */
  dir: string
  topology?: Topology
  pgbouncer?: RunningProxy
  skiff?: RunningProxy
  /** pg_authid.rolpassword of the login users, for PgBouncer's auth_file. */
  secrets?: { username: string; secret: string }[]
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

/** Topology (primary only: replicas and shards would only take CPU from the measurement), then both proxies. */
export async function setUp(env: BenchEnv): Promise<void> {
  const started = Date.now()
  say(`starting Postgres (pgbench scale ${env.opts.scale}) ...`)
  env.topology = await startTopology({ replicas: 0, shards: 0, pgbenchScale: env.opts.scale })
  const { primary } = env.topology
  say(
    `Postgres on port ${primary.port} after ${((Date.now() - started) / 1000).toFixed(1)} s; VACUUM ANALYZE ...`,
  )
  vacuum(env.topology)
  env.secrets = storedSecrets(env.topology)
  env.pgbouncer = await startPgBouncer(pgbouncerOptions(env))
  say(`PgBouncer on port ${env.pgbouncer.port} (pid ${env.pgbouncer.daemon.pid()})`)
  env.skiff = await startSkiff(skiffOptions(env))
  say(`Skiff on port ${env.skiff.port} (pid ${env.skiff.daemon.pid()}); work dir ${env.dir}`)
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

function skiffOptions(env: BenchEnv) {
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

/**
 * Restarts a proxy that died (Skiff is under active development) so one crash costs one sample,
 * not the rest of the run.
 * @returns undefined when the proxy is up, else why it is not (recorded as that run's failure).
 */
export async function ensureProxy(env: BenchEnv, name: 'pgbouncer' | 'skiff'): Promise<string | undefined> {
  const proxy = env[name]
  if (proxy?.daemon.pid() !== undefined) return undefined
  if (env.aborted) return 'benchmark aborted'
  const why = proxy ? `exited (${proxy.daemon.exitReason()})` : 'not running'
  say(`${name} ${why}; restarting`)
  try {
    if (name === 'skiff') env.skiff = await startSkiff(skiffOptions(env))
    else env.pgbouncer = await startPgBouncer(pgbouncerOptions(env))
    env.restarts.push(`${name} ${why}; restarted`)
    return undefined
  } catch (err) {
    env[name] = undefined
    return `${why}; restart failed: ${(err as Error).message.split('\n')[0]}`
  }
}

/** Stops proxies, then Postgres; removes the work dir unless `keepDir` (its logs explain failures). */
export async function tearDown(env: BenchEnv, keepDir: boolean): Promise<void> {
  await Promise.allSettled([env.skiff?.daemon.stop(), env.pgbouncer?.daemon.stop()])
  await env.topology?.stop()
  if (keepDir) say(`logs kept in ${env.dir}`)
  else rmSync(env.dir, { recursive: true, force: true })
}
