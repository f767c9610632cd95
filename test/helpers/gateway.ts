/**
 * Starts an in-process gateway in front of the test topology, configured from a TOML text built here.
 * @module
 */
import { parseConfigText } from '../../gateway/src/config/load.js'
import { Gateway } from '../../gateway/src/gateway.js'
import type { TopologyDescription } from '../../infra/src/describe.js'
import { topology } from './topology.js'

/** Options of a test gateway; anything else takes the config defaults. */
export interface TestGatewayOptions {
  poolMode?: 'transaction' | 'session'
  poolSize?: number
  minPoolSize?: number
  queryWaitTimeout?: number
  statementTimeout?: number
  serverLifetime?: number
  idleTimeout?: number
  /** Extra lines appended to [general]. */
  general?: string
  connectTimeout?: number
  /** Port of the one server (default: the topology's primary), e.g. a dead port for fault tests. */
  serverPort?: number
  /** Database served (the pool's name); default: the topology's database. */
  database?: string
  /** Database on the servers of shard 0 when it differs from the pool's name (`database`). */
  serverDatabase?: string
  /** Extra lines appended to [pools.<database>] (routing keys such as default_role). */
  pool?: string
  /**
   * The servers and users behind the gateway: a private topology (test/helpers/ha-topology.ts) for
   * tests that stop or promote servers; default: the run's shared topology.
   */
  topology?: TopologyDescription
  /** Extra lines appended to [http] (which listens on a free loopback port). */
  http?: string
  /** The servers of shard 0 as written between `[` and `]` (instead of the primary and `replicas`). */
  serverList?: string
  /** Add the topology's replicas to shard 0 (role "replica"). */
  replicas?: boolean
  /** Shard 0 and up are the topology's shard primaries (same database name) instead of its primary. */
  shards?: boolean
}

/** A running test gateway. */
export interface TestGateway {
  gateway: Gateway
  port: number
  /** The HTTP/WebSocket port. */
  httpPort: number
  /** Connection string for one of the topology's users through the gateway. */
  url(user?: 'scram' | 'md5' | 'plain' | 'trust', database?: string): string
  stop(): Promise<void>
}

/** The topology behind a gateway with these options. */
const topologyOf = (o: TestGatewayOptions): TopologyDescription => o.topology ?? topology()

function userBlock(
  index: number,
  username: string,
  password: string,
  o: TestGatewayOptions,
  extra = '',
): string {
  const pw = password === '' ? '' : `password = "${password}"`
  return `
[pools.${o.database ?? topologyOf(o).database}.users.${index}]
username = "${username}"
${pw}
pool_size = ${o.poolSize ?? 4}
min_pool_size = ${o.minPoolSize ?? 0}
statement_timeout = ${o.statementTimeout ?? 0}
${extra}`
}

function replicaServers(o: TestGatewayOptions): string {
  if (!o.replicas) return ''
  return topologyOf(o)
    .replicas.map((r) => `, ["127.0.0.1", ${r.port}, "replica"]`)
    .join('')
}

/** One shard per shard primary of the topology. */
function shardSections(db: string, t: TopologyDescription): string {
  return t.shards
    .map(
      (s, i) =>
        `[pools.${db}.shards.${i}]\ndatabase = "${t.shardDatabase}"\nservers = [["127.0.0.1", ${s.port}, "primary"]]\n`,
    )
    .join('\n')
}

/** The config text for a test gateway on port 0 (any free port). */
export function testConfigText(o: TestGatewayOptions = {}): string {
  const t = topologyOf(o)
  const u = t.users
  const db = o.database ?? t.database
  const lifetime = o.serverLifetime !== undefined ? `server_lifetime = ${o.serverLifetime}` : ''
  const idle = o.idleTimeout !== undefined ? `idle_timeout = ${o.idleTimeout}` : ''
  return `
[general]
host = "127.0.0.1"
port = 0
admin_username = "skiff_admin"
admin_password = "skiff_admin_pw"
query_wait_timeout = ${o.queryWaitTimeout ?? 10000}
connect_timeout = ${o.connectTimeout ?? 3000}
${lifetime}
${idle}
${o.general ?? ''}

[http]
host = "127.0.0.1"
port = 0
${o.http ?? ''}

[pools.${db}]
pool_mode = "${o.poolMode ?? 'transaction'}"
${o.pool ?? ''}

${
  o.shards
    ? shardSections(db, t)
    : `[pools.${db}.shards.0]
database = "${o.serverDatabase ?? db}"
servers = [${o.serverList ?? `["127.0.0.1", ${o.serverPort ?? t.primary.port}, "primary"]${replicaServers(o)}`}]`
}
${userBlock(0, u.scram.username, u.scram.password, o)}
${userBlock(1, u.md5.username, u.md5.password, o, 'auth_type = "md5"')}
${userBlock(2, u.plain.username, u.plain.password, o)}
${userBlock(3, u.trust.username, '', o, 'auth_type = "trust"')}
`
}

/** Starts a gateway; stop it in an `after` hook. */
export async function startTestGateway(o: TestGatewayOptions = {}): Promise<TestGateway> {
  const { config } = parseConfigText(testConfigText(o), 'test-gateway.toml')
  const gateway = new Gateway(config)
  await gateway.start()
  const t = topologyOf(o)
  return {
    gateway,
    port: gateway.port,
    httpPort: gateway.httpPort ?? 0,
    url(user = 'scram', database = o.database ?? t.database) {
      const u = t.users[user]
      const auth = u.password ? `${u.username}:${encodeURIComponent(u.password)}` : u.username
      return `postgres://${auth}@127.0.0.1:${gateway.port}/${database}`
    },
    stop: () => gateway.stop(),
  }
}
