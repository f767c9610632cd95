/**
 * SHOW CLIENTS (the logged-in clients) and SHOW SERVERS (the open server connections), with PgCat's
 * columns.
 * @see https://www.pgbouncer.org/usage.html#show-clients
 * @module
 */
import { type AdminColumn, type AdminValue, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I8 = Oid.int8

const CLIENT_COLUMNS: AdminColumn[] = [
  ['client_id', I8],
  ['database', T],
  ['user', T],
  ['application_name', T],
  ['state', T],
  ['transaction_count', I8],
  ['query_count', I8],
  ['error_count', I8],
  ['age_seconds', I8],
  ['maxwait', I8],
  ['maxwait_us', I8],
]

function showClients(src: AdminSources) {
  const now = Date.now()
  const out: AdminValue[][] = []
  // error_count and maxwait stay 0: errors and waits are counted per pool (SHOW STATS), not per client.
  for (const c of src.clients())
    out.push([
      c.id,
      c.database,
      c.username,
      c.params.get('application_name') ?? '',
      c.active === true ? 'active' : 'idle',
      c.transactionCount,
      c.queryCount,
      0,
      Math.floor((now - c.connectedAt) / 1000),
      0,
      0,
    ])
  return rows(CLIENT_COLUMNS, out)
}

const SERVER_COLUMNS: AdminColumn[] = [
  ['server_id', I8],
  ['database_name', T],
  ['user', T],
  ['address_id', T],
  ['application_name', T],
  ['state', T],
  ['transaction_count', I8],
  ['query_count', I8],
  ['bytes_sent', I8],
  ['bytes_received', I8],
  ['age_seconds', I8],
  ['prepare_cache_hit', I8],
  ['prepare_cache_miss', I8],
  ['prepare_cache_eviction', I8],
  ['prepare_cache_size', I8],
]

function showServers(src: AdminSources) {
  const now = Date.now()
  const out: AdminValue[][] = []
  for (const pool of src.pools.userPools())
    for (const sp of pool.serverPools())
      for (const server of sp.all) {
        const cache = server.statements
        out.push([
          server.id,
          pool.database,
          pool.username,
          `${sp.address.host}:${sp.address.port}`,
          server.params.get('application_name') ?? '',
          sp.idle.includes(server) ? 'idle' : 'active',
          server.stats.xactCount,
          server.stats.queryCount,
          server.stats.bytesSent,
          server.stats.bytesReceived,
          Math.floor((now - server.createdAt) / 1000),
          cache.hits,
          cache.misses,
          cache.evictions,
          cache.size,
        ])
      }
  return rows(SERVER_COLUMNS, out)
}

/** SHOW CLIENTS and SHOW SERVERS. */
export const CONNECTION_COMMANDS: readonly AdminCommand[] = [
  { name: 'SHOW CLIENTS', help: 'logged-in clients', columns: CLIENT_COLUMNS, run: showClients },
  { name: 'SHOW SERVERS', help: 'open server connections', columns: SERVER_COLUMNS, run: showServers },
]
