/**
 * The admin console's commands (database `pgcat`, `pgbouncer` or `skiff`): each SHOW reads the pool
 * registry, the statistics counters and the logged-in clients, and answers with PgBouncer's column
 * names. Commands are case-insensitive and may end in a semicolon. Nothing here reaches a server.
 * @module
 */
import type { GeneralConfig } from '../config/schema-general.js'
import { generalSchema } from '../config/schema-general.js'
import type { PoolRegistry } from '../pool/pool-registry.js'
import type { UserPool } from '../pool/user-pool.js'
import { SqlState } from '../protocol/sqlstate.js'
import { type AdminColumn, type AdminValue, adminError, Oid, resultSet } from './admin-results.js'

/** Database names that lead to the admin console (PgCat's two, and ours unless a pool has that name). */
export const ADMIN_DATABASES: ReadonlySet<string> = new Set(['pgcat', 'pgbouncer', 'skiff'])

/** What SHOW CLIENTS reads of a logged-in client. */
export interface AdminClientView {
  readonly id: number
  readonly username: string
  readonly database: string
  readonly connectedAt: number
  readonly transactionCount: number
  readonly queryCount: number
  readonly params: ReadonlyMap<string, string>
  /** True while the client holds a server connection. */
  readonly active?: boolean
}

/** What RELOAD reports: the new config is in place, or why the old one was kept. */
export type ReloadOutcome =
  | { readonly ok: true; readonly changes: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] }

/**
 * What the commands that change things call; the gateway implements them (gateway.ts), the console
 * only parses, checks its arguments and reports.
 */
export interface AdminActions {
  /** Re-reads the config file (as SIGHUP): the new config, or the errors that kept the old one. */
  reload(): Promise<ReloadOutcome>
  /**
   * Holds new transactions of `database` (every database when undefined); resolves once the
   * transactions in flight there have finished. Clients wait; nothing fails.
   */
  pause(database?: string): Promise<void>
  /** Lets the transactions held by {@link AdminActions.pause} go on. */
  resume(database?: string): void
  /** Whether `database` (or every database when undefined) is paused now. */
  isPaused(database?: string): boolean
  /** Starts a graceful shutdown, as SIGTERM does. */
  shutdown(): void
}

/** What the commands read. */
export interface AdminSources {
  readonly pools: PoolRegistry
  readonly general: GeneralConfig
  clients(): Iterable<AdminClientView>
  readonly version: string
  /** Absent in tests that build sources by hand: the changing commands then answer 0A000. */
  readonly actions?: AdminActions
}

type Command = (src: AdminSources) => Buffer

const T = Oid.text
const I8 = Oid.int8
const I4 = Oid.int4

const COMMANDS: Record<string, { help: string; run: Command }> = {
  HELP: { help: 'this list', run: showHelp },
  VERSION: { help: 'the gateway version', run: (s) => resultSet([['version', T]], [[s.version]]) },
  POOLS: { help: 'clients and servers per pool', run: showPools },
  DATABASES: { help: 'the configured databases (one row per server)', run: showDatabases },
  CLIENTS: { help: 'logged-in clients', run: showClients },
  SERVERS: { help: 'open server connections', run: showServers },
  USERS: { help: 'the configured users', run: showUsers },
  CONFIG: { help: 'the [general] settings (passwords masked)', run: showConfig },
}

/** The reply to one simple-protocol Query (without its ReadyForQuery). */
export function runAdminQuery(sql: string, src: AdminSources): Buffer {
  const text = sql.trim().replace(/;\s*$/, '').trim()
  const words = text.split(/\s+/)
  const verb = (words[0] ?? '').toUpperCase()
  if (verb === 'SHOW' && words.length === 2) {
    const command = COMMANDS[words[1]!.toUpperCase()]
    if (command !== undefined) return command.run(src)
  }
  if (verb === 'SHOW' || isAdminVerb(verb))
    return adminError(SqlState.SyntaxError, `unknown admin command "${text}"`, commandList())
  return adminError(
    SqlState.FeatureNotSupported,
    'the admin console answers only its commands; see SHOW HELP',
    commandList(),
  )
}

/** PgBouncer's other console verbs: named as unknown commands, not as SQL. */
function isAdminVerb(verb: string): boolean {
  return [
    'PAUSE',
    'RESUME',
    'RELOAD',
    'SHUTDOWN',
    'KILL',
    'SUSPEND',
    'DISABLE',
    'ENABLE',
    'RECONNECT',
    'WAIT_CLOSE',
    'SET',
  ].includes(verb)
}

function commandList(): string {
  return `commands: ${Object.keys(COMMANDS)
    .map((c) => `SHOW ${c}`)
    .join(', ')}`
}

function showHelp(): Buffer {
  const rows = Object.entries(COMMANDS).map(([name, c]) => [`SHOW ${name}`, c.help])
  return resultSet(
    [
      ['command', T],
      ['description', T],
    ],
    rows,
  )
}

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
]

function showPools(src: AdminSources): Buffer {
  const now = Date.now()
  const clients = [...src.clients()]
  const rows: AdminValue[][] = []
  for (const pool of src.pools.userPools()) {
    let svActive = 0
    let svIdle = 0
    let waiting = 0
    let maxWait = 0
    for (const sp of pool.serverPools()) {
      svIdle += sp.idle.length
      svActive += sp.all.size - sp.idle.length
      waiting += sp.waiting
      maxWait = Math.max(maxWait, sp.maxWait(now))
    }
    const mine = clients.filter((c) => c.database === pool.database && c.username === pool.username)
    const clActive = mine.filter((c) => c.active === true).length
    const clIdle = Math.max(0, mine.length - clActive - waiting)
    const waitUs = maxWait * 1000
    rows.push([
      pool.database,
      pool.username,
      pool.poolMode,
      clIdle,
      clActive,
      waiting,
      0,
      svActive,
      svIdle,
      0,
      0,
      0,
      Math.floor(waitUs / 1e6),
      waitUs % 1e6,
    ])
  }
  return resultSet(POOL_COLUMNS, rows)
}

function showDatabases(src: AdminSources): Buffer {
  const rows: AdminValue[][] = []
  for (const pool of src.pools.userPools())
    for (const sp of pool.serverPools())
      rows.push([
        pool.database,
        sp.address.host,
        sp.address.port,
        sp.address.database,
        pool.username,
        sp.settings.poolSize,
        sp.settings.minPoolSize,
        0,
        pool.poolMode,
        src.general.max_client_conn,
        sp.all.size,
        0,
        0,
      ])
  return resultSet(
    [
      ['name', T],
      ['host', T],
      ['port', I4],
      ['database', T],
      ['force_user', T],
      ['pool_size', I4],
      ['min_pool_size', I4],
      ['reserve_pool', I4],
      ['pool_mode', T],
      ['max_connections', I4],
      ['current_connections', I4],
      ['paused', I4],
      ['disabled', I4],
    ],
    rows,
  )
}

function showClients(src: AdminSources): Buffer {
  const now = Date.now()
  const rows: AdminValue[][] = []
  for (const c of src.clients())
    rows.push([
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
  return resultSet(
    [
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
    ],
    rows,
  )
}

function showServers(src: AdminSources): Buffer {
  const now = Date.now()
  const rows: AdminValue[][] = []
  for (const pool of src.pools.userPools())
    for (const sp of pool.serverPools())
      for (const server of sp.all) {
        const idle = sp.idle.includes(server)
        rows.push([
          server.id,
          pool.database,
          pool.username,
          `${sp.address.host}:${sp.address.port}`,
          server.params.get('application_name') ?? '',
          idle ? 'idle' : 'active',
          server.stats.xactCount,
          server.stats.queryCount,
          server.stats.bytesSent,
          server.stats.bytesReceived,
          Math.floor((now - server.createdAt) / 1000),
          0,
          0,
          0,
          0,
        ])
      }
  return resultSet(
    [
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
    ],
    rows,
  )
}

function showUsers(src: AdminSources): Buffer {
  const seen = new Map<string, UserPool>()
  for (const pool of src.pools.userPools()) if (!seen.has(pool.username)) seen.set(pool.username, pool)
  const rows: AdminValue[][] = [...seen.values()].map((p) => [p.username, p.poolMode])
  return resultSet(
    [
      ['name', T],
      ['pool_mode', T],
    ],
    rows,
  )
}

/** Keys whose values are never shown. */
const SECRET_KEY = /password|secret|token|key$/

let defaults: Record<string, unknown> | undefined

/** The [general] defaults: the schema applied to the two required keys alone. */
function generalDefaults(): Record<string, unknown> {
  defaults ??= generalSchema.parse({ admin_username: '-', admin_password: '-' }) as Record<string, unknown>
  return defaults
}

function configText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function showConfig(src: AdminSources): Buffer {
  const defs = generalDefaults()
  const general = src.general as Record<string, unknown>
  const keys = [...new Set([...Object.keys(defs), ...Object.keys(general)])].sort()
  const rows: AdminValue[][] = keys.map((key) => {
    const secret = SECRET_KEY.test(key)
    const value = general[key]
    const shown = secret ? (value === undefined ? '' : '<redacted>') : configText(value)
    const def = secret || key === 'admin_username' ? '' : configText(defs[key])
    return [key, shown, def, 'no']
  })
  return resultSet(
    [
      ['key', T],
      ['value', T],
      ['default', T],
      ['changeable', T],
    ],
    rows,
  )
}
