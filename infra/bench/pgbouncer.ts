/** PgBouncer from Debian's package, configured like Skiff: transaction mode, same pool size. */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../src/free-port.js'
import { pgRunAs } from '../src/pg-process.js'
import { type Daemon, spawnDaemon, waitForPort } from './procs.js'

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer'

/** Where PgBouncer forwards to and how it is sized. */
export interface PgBouncerOptions {
  /** A directory the `postgres` OS user can read (we chown our files to it when root). */
  dir: string
  serverPort: number
  database: string
  /**
   * auth_file entries: the password as Postgres stores it (pg_authid.rolpassword). That is how
   * PgBouncer is normally deployed (auth_file from pg_shadow, or auth_query), and with a SCRAM
   * secret it skips the PBKDF2 a plaintext password costs on every client login (about 3 ms of
   * its single core, which capped `-C` near 200 tps), then logs in to Postgres by pass-through.
   */
  users: { username: string; secret: string }[]
  /** Client auth method (the topology user's method). */
  authType: 'scram-sha-256' | 'md5'
  poolSize: number
}

/** A running proxy: where to connect and which process to charge CPU to. */
export interface RunningProxy {
  port: number
  daemon: Daemon
}

/** "PgBouncer 1.18.0", or a note when it is missing. */
export function pgbouncerVersion(): string {
  if (!existsSync(PGBOUNCER_BIN)) return 'not installed'
  return execFileSync(PGBOUNCER_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '?'
}

function ini(opts: PgBouncerOptions, port: number, authFile: string): string {
  return `[databases]
${opts.database} = host=127.0.0.1 port=${opts.serverPort} dbname=${opts.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
; empty = no unix socket: nothing lands in /var/run/postgresql, nothing clashes with other runs
unix_socket_dir =
auth_type = ${opts.authType}
auth_file = ${authFile}
pool_mode = transaction
default_pool_size = ${opts.poolSize}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
; per-connection log lines would cost CPU in the -C workload that Skiff (logging off) does not pay
log_connections = 0
log_disconnections = 0
ignore_startup_parameters = extra_float_digits
`
}

/** Writes a file PgBouncer (possibly running as `postgres`) can read and nobody else can. */
function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 })
  const runAs = pgRunAs()
  if (runAs) chownSync(path, runAs.uid, runAs.gid)
}

/**
 * Starts PgBouncer on a free loopback port and waits until it accepts connections. Logs go to
 * `<dir>/pgbouncer.log` (its stderr). When we are root it runs as `postgres`: it refuses root.
 */
export async function startPgBouncer(opts: PgBouncerOptions): Promise<RunningProxy> {
  if (!existsSync(PGBOUNCER_BIN))
    throw new Error(`${PGBOUNCER_BIN} not found: run infra/scripts/ensure.mjs --pgbouncer`)
  const port = await freePort()
  const authFile = join(opts.dir, 'userlist.txt')
  const iniFile = join(opts.dir, 'pgbouncer.ini')
  writePrivate(authFile, opts.users.map((u) => `"${u.username}" "${u.secret}"\n`).join(''))
  writePrivate(iniFile, ini(opts, port, authFile))
  const runAs = pgRunAs()
  const daemon = spawnDaemon(PGBOUNCER_BIN, [iniFile], { logFile: join(opts.dir, 'pgbouncer.log'), ...runAs })
  try {
    await waitForPort(daemon, port, 10_000)
  } catch (err) {
    await daemon.stop()
    throw new Error(`PgBouncer ${(err as Error).message}`)
  }
  return { port, daemon }
}
