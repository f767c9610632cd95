/** Skiff as a child process from the built CLI, sized like PgBouncer. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../src/free-port.js'
import type { TopologyUser } from '../src/index.js'
import type { RunningProxy } from './pgbouncer.js'
import { spawnDaemon, waitForPort } from './procs.js'

/** Where Skiff forwards to and how it is sized. */
export interface SkiffOptions {
  repoRoot: string
  dir: string
  serverPort: number
  database: string
  scram: TopologyUser
  md5: TopologyUser
  poolSize: number
  /** Port of the HTTP/WebSocket listener; unset turns it off (the pgbench runs do not use it). */
  httpPort?: number
  /** Names the config and log files (`<name>.toml`, `<name>.log`); default `skiff`. */
  name?: string
  /** `--split`: the streaming replicas listed next to the primary, and which side this Skiff is. */
  splitting?: { side: SplitSide; replicaPorts: number[] }
  /**
   * `--shard`: one shard per port (each a primary holding `database`) instead of `serverPort`, and
   * the `automatic_sharding_key` that routes each transaction to one of them.
   */
  sharding?: { shardPorts: number[]; key: string }
}

/**
 * The `--split` sides. `on`: every statement is parsed, reads go to the replicas only. `off-primary`:
 * nothing parsed, everything on the primary. `off-replicas`: nothing parsed, everything on the
 * replicas by `default_role` (pgbench `-S` only reads), so it runs on the very servers and backends
 * `on` does and the two differ only in the parsing and per-statement routing.
 */
export type SplitSide = 'on' | 'off-primary' | 'off-replicas'

const DEFAULT_ROLE: Record<SplitSide, string> = {
  on: 'any',
  'off-primary': 'primary',
  'off-replicas': 'replica',
}

/** Issue 19's pool keys for one side. */
function splittingKeys(splitting: NonNullable<SkiffOptions['splitting']>): string {
  const on = splitting.side === 'on'
  return `query_parser_enabled = ${on}
query_parser_read_write_splitting = ${on}
primary_reads_enabled = false
default_role = "${DEFAULT_ROLE[splitting.side]}"
`
}

function servers(opts: SkiffOptions): string {
  const replicas = (opts.splitting?.replicaPorts ?? []).map((port) => `["127.0.0.1", ${port}, "replica"]`)
  return `[${[`["127.0.0.1", ${opts.serverPort}, "primary"]`, ...replicas].join(', ')}]`
}

/** The `[pools.<db>.shards.<n>]` tables: shard 0 on `serverPort`, or one per `sharding` port. */
function shards(opts: SkiffOptions): string {
  const q = JSON.stringify
  const table = (i: number, list: string) =>
    `[pools.${opts.database}.shards.${i}]\ndatabase = ${q(opts.database)}\nservers = ${list}\n`
  if (!opts.sharding) return table(0, servers(opts))
  return opts.sharding.shardPorts.map((port, i) => table(i, `[["127.0.0.1", ${port}, "primary"]]`)).join('\n')
}

/**
 * One pool, one shard, primary only: the same single server that PgBouncer and the direct runs
 * use, so the three targets differ only in the hop in front of Postgres. With `splitting`, the
 * replicas too, and the splitting keys; with `sharding`, one shard per shard primary and
 * `pool_size` server connections to each.
 */
export function skiffConfig(opts: SkiffOptions, port: number): string {
  const q = JSON.stringify
  // Off-primary serves everything from one server: give it as many server connections as the other
  // sides have over the replicas, so all run the same number of backends.
  const split = opts.splitting
  const poolSize = split?.side === 'off-primary' ? opts.poolSize * split.replicaPorts.length : opts.poolSize
  return `[general]
host = "127.0.0.1"
port = ${port}
admin_username = "skiff_admin"
admin_password = "skiff_admin_pw"
query_wait_timeout = 60000
shutdown_timeout = 2000

${opts.httpPort === undefined ? '[http]\nenabled = false' : `[http]\nhost = "127.0.0.1"\nport = ${opts.httpPort}`}

[pools.${opts.database}]
pool_mode = "transaction"
${opts.splitting ? splittingKeys(opts.splitting) : ''}${opts.sharding ? `automatic_sharding_key = ${q(opts.sharding.key)}\n` : ''}
${shards(opts)}
[pools.${opts.database}.users.0]
username = ${q(opts.scram.username)}
password = ${q(opts.scram.password)}
pool_size = ${poolSize}

[pools.${opts.database}.users.1]
username = ${q(opts.md5.username)}
password = ${q(opts.md5.password)}
auth_type = "md5"
pool_size = ${poolSize}
`
}

/** The CLI launcher; `npm run build` must have produced gateway/dist first. */
export function skiffCli(repoRoot: string): string {
  const cli = join(repoRoot, 'gateway/bin/skiff.js')
  if (!existsSync(join(repoRoot, 'gateway/dist/main.js'))) {
    throw new Error('gateway/dist/main.js is missing: run `npm run build` first')
  }
  return cli
}

/**
 * Starts `node gateway/bin/skiff.js --config <dir>/skiff.toml` on a free loopback port and waits
 * until it accepts connections. Log level warn: per-connection info lines are not what we measure.
 */
export async function startSkiff(opts: SkiffOptions): Promise<RunningProxy> {
  const port = await freePort()
  const name = opts.name ?? 'skiff'
  const configFile = join(opts.dir, `${name}.toml`)
  writeFileSync(configFile, skiffConfig(opts, port))
  const env = { ...process.env, SKIFF_LOG_LEVEL: 'warn' }
  const args = [skiffCli(opts.repoRoot), '--config', configFile]
  const daemon = spawnDaemon(process.execPath, args, { logFile: join(opts.dir, `${name}.log`), env })
  try {
    await waitForPort(daemon, port, 15_000)
  } catch (err) {
    await daemon.stop()
    throw new Error(`Skiff ${(err as Error).message}`)
  }
  return { port, daemon }
}
