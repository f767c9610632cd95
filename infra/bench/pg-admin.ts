/** Superuser chores on the benchmark's Postgres, through psql over TCP. */
import { spawnSync } from 'node:child_process'
import { findPgBin, type Topology } from '../src/index.js'

/**
 * The topology loads pgbench data without pgbench's final VACUUM; run it (and a CHECKPOINT) so the
 * first measured round does not pay for hint bits, statistics or a checkpoint the later ones skip.
 */
export function vacuum(topology: Topology): void {
  superuserPsql(topology, ['-c', 'VACUUM ANALYZE', '-c', 'CHECKPOINT'])
}

/** Stored password hashes of the two login users, as PgBouncer's auth_file wants them. */
export function storedSecrets(topology: Topology): { username: string; secret: string }[] {
  const names = [topology.users.scram.username, topology.users.md5.username].map((n) => `'${n}'`)
  const sql = `SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (${names.join(', ')})`
  return superuserPsql(topology, ['-A', '-t', '-F', ' ', '-c', sql])
    .trim()
    .split('\n')
    .map((line) => {
      const [username = '', secret = ''] = line.split(' ')
      return { username, secret }
    })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `--split`: waits until every replica has replayed the primary's WAL up to now (the VACUUM, the
 * extension), then loads `pgbench_accounts` and its index into each server's shared buffers, so the
 * replicas start as warm as the primary the data was generated on.
 * @throws when a replica is still behind after a minute.
 */
export async function prepareReplicas(topology: Topology): Promise<void> {
  superuserPsql(topology, ['-c', 'CREATE EXTENSION IF NOT EXISTS pg_prewarm'])
  const lsn = superuserPsql(topology, ['-A', '-t', '-c', 'SELECT pg_current_wal_lsn()']).trim()
  const caughtUp = `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`
  for (const replica of topology.replicas) {
    const deadline = Date.now() + 60_000
    while (superuserPsql(topology, ['-A', '-t', '-c', caughtUp], replica.port).trim() !== 't') {
      if (Date.now() > deadline) throw new Error(`${replica.name} has not replayed up to ${lsn} after 60 s`)
      await sleep(200)
    }
  }
  const prewarm = "SELECT pg_prewarm('pgbench_accounts'), pg_prewarm('pgbench_accounts_pkey')"
  for (const server of [topology.primary, ...topology.replicas])
    superuserPsql(topology, ['-c', prewarm], server.port)
}

/**
 * Runs psql as the superuser over TCP against a database (the pgbench one by default) on a server
 * (the primary by default); returns its stdout.
 */
export function superuserPsql(
  topology: Topology,
  args: string[],
  port = topology.primary.port,
  database = topology.database,
): string {
  const { username, password } = topology.users.superuser
  const conn = ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', username]
  const env = { ...process.env, PGPASSWORD: password }
  const opts = { env, encoding: 'utf8' as const, timeout: 600_000 }
  const result = spawnSync(findPgBin('psql'), [...conn, ...args, database], opts)
  if (result.status !== 0)
    throw new Error(`psql ${args.join(' ')} failed: ${result.stderr || result.error?.message}`)
  return result.stdout
}
