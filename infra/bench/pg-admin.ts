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

/** Runs psql as the superuser over TCP against the primary's database; returns its stdout. */
function superuserPsql(topology: Topology, args: string[]): string {
  const { username, password } = topology.users.superuser
  const conn = ['-X', '-q', '-h', '127.0.0.1', '-p', String(topology.primary.port), '-U', username]
  const env = { ...process.env, PGPASSWORD: password }
  const opts = { env, encoding: 'utf8' as const, timeout: 600_000 }
  const result = spawnSync(findPgBin('psql'), [...conn, ...args, topology.database], opts)
  if (result.status !== 0)
    throw new Error(`psql ${args.join(' ')} failed: ${result.stderr || result.error?.message}`)
  return result.stdout
}
