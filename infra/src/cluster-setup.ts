import { configureNewCluster, writeOwned } from './pg-config.js'
import { runPgTool } from './pg-process.js'
import type { PgInstance } from './pg-server.js'
import type { TopologyUsers } from './types.js'
import { bootstrapSql, pgbenchOwnershipSql, SUPERUSER } from './users.js'

const toolOpts = (inst: PgInstance) => ({ cwd: inst.ctx.baseDir, runAs: inst.ctx.runAs })

/** Creates a fresh cluster in `inst.dataDir` and installs skiff.conf + the per-user pg_hba.conf. */
export async function initCluster(inst: PgInstance, hba: string): Promise<void> {
  const args = ['--no-sync', '--no-instructions', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '-A', 'trust']
  await runPgTool('initdb', [...args, '-D', inst.dataDir], toolOpts(inst))
  configureNewCluster(inst.dataDir, hba, inst.ctx.runAs)
}

/**
 * Creates roles and the database on a running primary; with `pgbenchScale > 0` also loads pgbench
 * data. Server-side generation (`-I dtGp`) skips shipping rows through COPY and the final VACUUM.
 */
export async function bootstrapPrimary(
  inst: PgInstance,
  users: TopologyUsers,
  database: string,
  pgbenchScale: number,
): Promise<void> {
  await inst.psql(bootstrapSql(users, database))
  if (pgbenchScale <= 0) return
  const args = ['-i', '-s', String(pgbenchScale), '-I', 'dtGp', ...inst.socketArgs(database)]
  await runPgTool('pgbench', args, toolOpts(inst))
  await inst.psql(pgbenchOwnershipSql(users), database)
}

/**
 * Clones the running primary over TCP (exercising the `host replication` rule). `-R` writes
 * standby.signal and a primary_conninfo that carries the password, so the replica can reconnect.
 */
export async function cloneReplica(
  replica: PgInstance,
  primary: PgInstance,
  users: TopologyUsers,
): Promise<void> {
  const { username, password } = users.superuser
  const conninfo = `host=127.0.0.1 port=${primary.port} user=${username} password=${password} application_name=${replica.name}`
  const args = ['-D', replica.dataDir, '-c', 'fast', '-R', '-X', 'stream', '--no-sync', '-d', conninfo]
  await runPgTool('pg_basebackup', args, toolOpts(replica))
  // The copy includes the primary's log file; the replica starts its own.
  writeOwned(replica.logFile, '', replica.ctx.runAs)
}
