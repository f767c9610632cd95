/**
 * SHOW CONFIG ([general], passwords masked), SHOW DATABASES (one row per server of each pool) and
 * SHOW USERS.
 * @see https://www.pgbouncer.org/usage.html#show-config
 * @module
 */
import { generalSchema } from '../config/schema-general.js'
import type { UserPool } from '../pool/user-pool.js'
import { type AdminColumn, type AdminValue, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I4 = Oid.int4

const DATABASE_COLUMNS: AdminColumn[] = [
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
]

function showDatabases(src: AdminSources) {
  const out: AdminValue[][] = []
  // reserve_pool and disabled stay 0: Skiff has no reserve pool and no DISABLE.
  for (const pool of src.pools.userPools()) {
    const paused = src.actions?.isPaused(pool.database) === true ? 1 : 0
    for (const sp of pool.serverPools())
      out.push([
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
        paused,
        0,
      ])
  }
  return rows(DATABASE_COLUMNS, out)
}

const USER_COLUMNS: AdminColumn[] = [
  ['name', T],
  ['pool_mode', T],
]

function showUsers(src: AdminSources) {
  const seen = new Map<string, UserPool>()
  for (const pool of src.pools.userPools()) if (!seen.has(pool.username)) seen.set(pool.username, pool)
  return rows(
    USER_COLUMNS,
    [...seen.values()].map((p) => [p.username, p.poolMode]),
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

const CONFIG_COLUMNS: AdminColumn[] = [
  ['key', T],
  ['value', T],
  ['default', T],
  ['changeable', T],
]

function showConfig(src: AdminSources) {
  const defs = generalDefaults()
  const general = src.general as Record<string, unknown>
  const keys = [...new Set([...Object.keys(defs), ...Object.keys(general)])].sort()
  const out: AdminValue[][] = keys.map((key) => {
    const secret = SECRET_KEY.test(key)
    const value = general[key]
    const shown = secret ? (value === undefined ? '' : '<redacted>') : configText(value)
    const def = secret || key === 'admin_username' ? '' : configText(defs[key])
    return [key, shown, def, 'no']
  })
  return rows(CONFIG_COLUMNS, out)
}

/** SHOW DATABASES, USERS and CONFIG. */
export const CONFIG_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'SHOW DATABASES',
    help: 'the configured databases (one row per server)',
    columns: DATABASE_COLUMNS,
    run: showDatabases,
  },
  { name: 'SHOW USERS', help: 'the configured users', columns: USER_COLUMNS, run: showUsers },
  {
    name: 'SHOW CONFIG',
    help: 'the [general] settings (passwords masked)',
    columns: CONFIG_COLUMNS,
    run: showConfig,
  },
]
