/**
 * An in-process Skiff gateway in front of the regression cluster, as test/helpers/gateway.ts starts
 * one: config text → parseConfigText → new Gateway.
 * @module
 */
import { parseConfigText } from '../../gateway/src/config/load.js'
import { Gateway } from '../../gateway/src/gateway.js'
import { setLogLevel } from '../../gateway/src/log.js'
import type { TopologyUser } from '../src/index.js'

/** What the gateway serves. */
export interface RegressGatewayOptions {
  poolMode: 'session' | 'transaction'
  /** Session mode: reuse a server connection for the next session (the default) or not. */
  sessionReuse?: boolean
  serverPort: number
  /** The one database the suite connects to (pg_regress --use-existing never opens another). */
  database: string
  /** The superuser pg_regress connects as; the gateway logs in to Postgres as it too. */
  user: TopologyUser
}

/**
 * Room for a parallel group of 20 tests, each of whose psql may hold a second connection while `\c`
 * reconnects; session mode needs one server connection per client.
 */
const POOL_SIZE = 50

/** The gateway's config: one pool, one SCRAM user, one primary, HTTP off, a free loopback port. */
export function regressGatewayConfig(o: RegressGatewayOptions): string {
  const q = JSON.stringify
  return `[general]
host = "127.0.0.1"
port = 0
admin_username = "skiff_admin"
admin_password = "skiff_admin_pw"
query_wait_timeout = 60000
connect_timeout = 5000
session_server_reuse = ${o.sessionReuse ?? true}

[http]
enabled = false

[pools.${q(o.database)}]
pool_mode = "${o.poolMode}"

[pools.${q(o.database)}.shards.0]
database = ${q(o.database)}
servers = [["127.0.0.1", ${o.serverPort}, "primary"]]

[pools.${q(o.database)}.users.0]
username = ${q(o.user.username)}
password = ${q(o.user.password)}
pool_size = ${POOL_SIZE}
`
}

/** Starts the gateway; its info lines (one per connection) are silenced, warnings still print. */
export async function startRegressGateway(o: RegressGatewayOptions): Promise<Gateway> {
  setLogLevel('warn')
  const { config } = parseConfigText(regressGatewayConfig(o), `skiff-${o.poolMode}.toml`)
  const gateway = new Gateway(config)
  await gateway.start()
  return gateway
}
