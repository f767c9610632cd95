/**
 * The Postgres cluster the regression suite runs against, and the `regression` database that
 * `pg_regress --use-existing` expects to find, recreated before each mode so every run starts equal.
 * @module
 */
import { startTopology, type Topology } from '../src/index.js'
import { pgRunAs, type RunAs, runPgTool } from '../src/pg-process.js'

/** The database pg_regress connects to (its default --dbname). */
export const REGRESS_DATABASE = 'regression'

/** A running single-server cluster for the suite. */
export interface RegressCluster {
  topology: Topology
  runAs: RunAs | undefined
  /** Names of the roles, databases and tablespaces that existed before any run (never dropped). */
  baseline: Globals
}

/** Cluster-wide objects that a run may leave behind. */
export interface Globals {
  roles: string[]
  databases: string[]
  tablespaces: string[]
}

const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`

/**
 * Settings of pg_regress's own temporary instance that change what the tests do: with fewer than two
 * prepared transactions allowed, the prepared_xacts test skips itself. The topology's max_connections
 * (200) already covers a parallel group of 20 plus the gateway's pool.
 */
const SUITE_SETTINGS = { max_prepared_transactions: 2 }

/**
 * Starts one fresh primary (no replicas, shards or pgbench data) and records its globals; `keepDir`
 * leaves its directory (data, server.log) on disk after stop.
 */
export async function startRegressCluster(
  log: (line: string) => void,
  keepDir = false,
): Promise<RegressCluster> {
  const settings = SUITE_SETTINGS
  const topology = await startTopology({ replicas: 0, shards: 0, pgbenchScale: 0, settings, keepDir, log })
  const cluster: RegressCluster = {
    topology,
    runAs: pgRunAs(),
    baseline: { roles: [], databases: [], tablespaces: [] },
  }
  try {
    cluster.baseline = await readGlobals(cluster)
  } catch (err) {
    await topology.stop()
    throw err
  }
  return cluster
}

/** Runs SQL as the superuser over the unix socket (trust); returns psql's unaligned output. */
export function psql(cluster: RegressCluster, sql: string, database = 'postgres'): Promise<string> {
  const { topology } = cluster
  const conn = [
    '-h',
    topology.baseDir,
    '-p',
    String(topology.primary.port),
    '-U',
    topology.users.superuser.username,
  ]
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-f', '-', ...conn, '-d', database]
  return runPgTool('psql', args, { cwd: topology.baseDir, runAs: cluster.runAs, input: sql })
}

async function readGlobals(cluster: RegressCluster): Promise<Globals> {
  const names = async (sql: string) => (await psql(cluster, sql)).split('\n').filter(Boolean)
  return {
    roles: await names('SELECT rolname FROM pg_roles'),
    databases: await names('SELECT datname FROM pg_database'),
    tablespaces: await names('SELECT spcname FROM pg_tablespace'),
  }
}

/**
 * What pg_regress's create_database() does, which `--use-existing` skips: the database from template0
 * with the settings the expected outputs assume.
 */
export function createDatabaseSql(db: string): string {
  const settings = [
    "lc_messages TO 'C'",
    "lc_monetary TO 'C'",
    "lc_numeric TO 'C'",
    "lc_time TO 'C'",
    "bytea_output TO 'hex'",
    "timezone_abbreviations TO 'Default'",
  ]
  return [
    `CREATE DATABASE ${ident(db)} TEMPLATE=template0;`,
    ...settings.map((s) => `ALTER DATABASE ${ident(db)} SET ${s};`),
  ].join('\n')
}

/** Creates the `regression` database; it must not exist. */
export async function createRegressionDatabase(cluster: RegressCluster): Promise<void> {
  await psql(cluster, createDatabaseSql(REGRESS_DATABASE))
}

/**
 * What keeps DROP DATABASE from working, removed from inside the database: prepared transactions and
 * subscriptions (which a test that stopped half-way leaves), logical replication slots.
 */
const CLEAR_DATABASE_SQL = `
SELECT format('ROLLBACK PREPARED %L', gid) FROM pg_prepared_xacts WHERE database = current_database() \\gexec
SELECT format('ALTER SUBSCRIPTION %I DISABLE', subname) FROM pg_subscription s
  JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database() AND s.subenabled \\gexec
SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', subname) FROM pg_subscription s
  JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database() \\gexec
SELECT format('DROP SUBSCRIPTION %I', subname) FROM pg_subscription s
  JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database() \\gexec
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database();
`

/**
 * Brings the cluster back to its baseline: clears and drops `regression` and every database, then
 * every tablespace and role, that a run created.
 * @returns what was dropped besides `regression`, for the log.
 * @throws when something cannot be dropped (the caller then starts a fresh cluster).
 */
export async function resetCluster(cluster: RegressCluster): Promise<string[]> {
  const now = await readGlobals(cluster)
  const extra = (names: string[], base: string[]) => names.filter((n) => !base.includes(n))
  const databases = extra(now.databases, cluster.baseline.databases)
  const tablespaces = extra(now.tablespaces, cluster.baseline.tablespaces)
  const roles = extra(now.roles, cluster.baseline.roles)
  for (const db of databases) await psql(cluster, CLEAR_DATABASE_SQL, db)
  const sql = [
    ...databases.map((db) => `DROP DATABASE ${ident(db)} WITH (FORCE);`),
    ...tablespaces.map((ts) => `DROP TABLESPACE ${ident(ts)};`),
    // A role can still hold privileges on shared objects or own objects in postgres.
    ...roles.map((role) => `DROP OWNED BY ${ident(role)} CASCADE;\nDROP ROLE ${ident(role)};`),
  ]
  if (sql.length > 0) await psql(cluster, sql.join('\n'))
  return [...databases.filter((db) => db !== REGRESS_DATABASE), ...tablespaces, ...roles]
}
