/**
 * SHOW POOLS (clients and servers per pool, by state) and SHOW LISTS (PgBouncer's counts of its
 * internal lists: what Skiff has of them, the rest 0).
 * @see https://www.pgbouncer.org/usage.html#show-pools
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import { type AdminColumn, type AdminValue, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I4 = Oid.int4

const POOL_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['user', T],
  ['pool_mode', T],
  ['cl_idle', I4],
  ['cl_active', I4],
  ['cl_waiting', I4],
  ['cl_cancel_req', I4],
  ['sv_active', I4],
  ['sv_idle', I4],
  ['sv_used', I4],
  ['sv_tested', I4],
  ['sv_login', I4],
  ['maxwait', I4],
  ['maxwait_us', I4],
  ['cl_pinned', I4],
]

/** Server connections of a pool by state; `used`: idle past healthcheck_delay, to be checked before the next lend. */
function serverStates(sp: ServerPool, now: number) {
  const delay = sp.settings.healthcheckDelay
  let used = 0
  if (delay !== undefined) for (const s of sp.idle) if (now - s.idleSince > delay) used++
  const idle = sp.idle.length - used
  // sv_active counts connections lent or under cleanup; those being opened are sv_login.
  return { active: sp.all.size - sp.idle.length, idle, used, login: sp.loggingIn }
}

function showPools(src: AdminSources) {
  const now = Date.now()
  const clients = [...src.clients()]
  const out: AdminValue[][] = []
  for (const pool of src.pools.userPools()) {
    const sv = { active: 0, idle: 0, used: 0, login: 0 }
    let waiting = 0
    let maxWait = 0
    for (const sp of pool.serverPools()) {
      const s = serverStates(sp, now)
      sv.active += s.active
      sv.idle += s.idle
      sv.used += s.used
      sv.login += s.login
      waiting += sp.waiting
      maxWait = Math.max(maxWait, sp.maxWait(now))
    }
    const mine = clients.filter((c) => c.database === pool.database && c.username === pool.username)
    const clActive = mine.filter((c) => c.active === true).length
    const clIdle = Math.max(0, mine.length - clActive - waiting)
    const waitUs = maxWait * 1000
    // cl_cancel_req and sv_tested stay 0: a cancel is forwarded at once, and a health check runs while
    // a client waits for that connection (it counts in sv_active).
    out.push([
      pool.database,
      pool.username,
      pool.poolMode,
      clIdle,
      clActive,
      waiting,
      0,
      sv.active,
      sv.idle,
      sv.used,
      0,
      sv.login,
      Math.floor(waitUs / 1e6),
      waitUs % 1e6,
      pool.pins.current,
    ])
  }
  return rows(POOL_COLUMNS, out)
}

const LIST_COLUMNS: AdminColumn[] = [
  ['list', T],
  ['items', I4],
]

function showLists(src: AdminSources) {
  const pools = [...src.pools.userPools()]
  let servers = 0
  for (const pool of pools) for (const sp of pool.serverPools()) servers += sp.all.size
  const clients = [...src.clients()].length
  // Skiff keeps no free lists of client or server objects and resolves no DNS itself: those are 0.
  return rows(LIST_COLUMNS, [
    ['databases', new Set(pools.map((p) => p.database)).size],
    ['users', new Set(pools.map((p) => p.username)).size],
    ['pools', pools.length],
    ['free_clients', 0],
    ['used_clients', clients],
    ['login_clients', 0],
    ['free_servers', 0],
    ['used_servers', servers],
    ['dns_names', 0],
    ['dns_zones', 0],
    ['dns_queries', 0],
    ['dns_pending', 0],
  ])
}

/** SHOW POOLS and SHOW LISTS. */
export const POOL_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'SHOW POOLS',
    help: 'clients and servers per pool, by state',
    columns: POOL_COLUMNS,
    run: showPools,
  },
  {
    name: 'SHOW LISTS',
    help: 'counts of databases, users, pools, clients, servers',
    columns: LIST_COLUMNS,
    run: showLists,
  },
]
