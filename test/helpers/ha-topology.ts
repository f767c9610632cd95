/**
 * A private Postgres topology (a primary and streaming replicas, no shards) for tests that stop,
 * start or promote servers: the run's shared topology (test/helpers/topology.ts) must stay as it is
 * for every other test. Put a gateway in front with `startTestGateway({ topology: ha.description })`.
 * @module
 */
import { after, before } from 'node:test'
import { Client } from 'pg'
import { describeTopology, type TopologyDescription } from '../../infra/src/describe.js'
import { type PgServer, startTopology, type Topology } from '../../infra/src/topology.js'

/** The table of the private topology's database that write tests insert into (empty at start). */
export const HA_TABLE = 'ha_writes'

const CREATE_TABLE = `CREATE TABLE ${HA_TABLE} (
  id bigserial PRIMARY KEY,
  writer int NOT NULL,
  seq int NOT NULL,
  port int NOT NULL DEFAULT inet_server_port(),
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`

/** Options of {@link startHaTopology}. */
export interface HaTopologyOptions {
  /** Streaming replicas of the primary (default 2). */
  replicas?: number
  /** Extra postgresql.conf settings for every server (quote strings yourself). */
  settings?: Record<string, string | number>
  /** Extra settings for the replicas only, e.g. `{ recovery_min_apply_delay: "'2s'" }`. */
  replicaSettings?: Record<string, string | number>
}

/** A running private topology. */
export interface HaTopology {
  /** Live handle: `stop(server, mode)`, `start(server)`, `promote(server)`, `stop()` for everything. */
  topo: Topology
  /** What `startTestGateway({ topology })` needs (ports, users, database). */
  description: TopologyDescription
  /** How long the start took, table included. */
  startedInMs: number
}

/**
 * Runs `sql` on one server directly (no gateway) as the scram user, who may write every table.
 * @returns the rows.
 */
export async function queryServer(
  ha: HaTopology,
  server: PgServer,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const { username: user, password } = ha.topo.users.scram
  const client = new Client({
    host: server.host,
    port: server.port,
    user,
    password,
    database: ha.topo.database,
  })
  await client.connect()
  try {
    return (await client.query(sql, params)).rows
  } finally {
    await client.end()
  }
}

/** Waits until every replica has replayed the primary's WAL as of now (so it sees the same tables). */
async function waitReplayed(ha: HaTopology, timeoutMs = 15_000): Promise<void> {
  const [row] = await queryServer(ha, ha.topo.primary, 'SELECT pg_current_wal_lsn()::text AS lsn')
  const sql = 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done'
  const deadline = Date.now() + timeoutMs
  for (const replica of ha.topo.replicas) {
    while (!(await queryServer(ha, replica, sql, [row?.lsn]))[0]?.done) {
      if (Date.now() > deadline) throw new Error(`${replica.name} did not catch up in ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

/**
 * Starts a primary with `replicas` streaming replicas on free loopback ports, creates {@link HA_TABLE}
 * and waits until every replica has it. Stop it with `ha.topo.stop()` (or use {@link useHaTopology}).
 */
export async function startHaTopology(opts: HaTopologyOptions = {}): Promise<HaTopology> {
  const started = Date.now()
  const topo = await startTopology({
    replicas: opts.replicas ?? 2,
    shards: 0,
    pgbenchScale: 0,
    settings: opts.settings,
    replicaSettings: opts.replicaSettings,
  })
  const ha: HaTopology = { topo, description: describeTopology(topo), startedInMs: 0 }
  try {
    await queryServer(ha, topo.primary, CREATE_TABLE)
    await waitReplayed(ha)
  } catch (err) {
    await topo.stop()
    throw err
  }
  ha.startedInMs = Date.now() - started
  return ha
}

/**
 * A private topology for the enclosing `describe`: started in `before`, stopped in `after`.
 * @returns an accessor (the topology exists only once `before` has run).
 */
export function useHaTopology(opts: HaTopologyOptions = {}): () => HaTopology {
  let ha: HaTopology | undefined
  before(async () => {
    ha = await startHaTopology(opts)
  })
  after(() => ha?.topo.stop())
  return () => {
    if (!ha) throw new Error('the private topology is not started (use it inside a test or a later hook)')
    return ha
  }
}
