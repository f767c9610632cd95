/**
 * What a live reload does to the pools: (database, user) pairs whose settings did not change keep
 * their pool object (its connections, statistics, bans and caches); changed pairs get a new pool and
 * removed ones none; the old objects of both are retired, so their transactions in flight finish on
 * the connections they hold while every next transaction finds the new registry (pool-registry.ts).
 * PgCat recreates a changed pool the same way.
 * @module
 */
import type { Config, GeneralConfig, PoolConfig, UserConfig } from '../config/schema.js'
import { buildPools } from './build-pools.js'
import type { BudgetBook } from './connection-budget.js'
import type { PoolMap } from './pool-registry.js'
import type { ServerConnector } from './server-connector.js'
import type { UserPool } from './user-pool.js'

/**
 * `[general]` keys no pool reads. Any other key that changes rebuilds every pool: a key added later is
 * safe by default (a rebuild costs reconnects, never a wrong setting kept).
 */
const NOT_POOL_KEYS: ReadonlySet<keyof GeneralConfig> = new Set<keyof GeneralConfig>([
  'host',
  'port',
  'shutdown_timeout',
  'log_client_connections',
  'log_client_disconnections',
  'worker_threads',
  'tcp_keepalives_idle',
  'tcp_keepalives_count',
  'tcp_keepalives_interval',
  'tcp_user_timeout',
  'admin_username',
  'admin_password',
  'admin_auth_type',
  'max_client_conn',
  'client_login_timeout',
  'enable_prometheus_exporter',
  'prometheus_exporter_port',
  'autoreload',
  'tls_certificate',
  'tls_private_key',
  'validate_config',
])

/** The outcome of {@link planPoolReload}. */
export interface PoolReloadPlan {
  /** The registry's new contents. */
  readonly pools: PoolMap
  /** `database/user` names, for the log and the admin console's reply. */
  readonly added: string[]
  readonly changed: string[]
  readonly removed: string[]
  /** Old pool objects no longer in `pools`: retire them (see ServerPool.retire) and close once drained. */
  readonly retired: UserPool[]
}

/**
 * Builds the pools of `next`, reusing each pool of `current` whose (database, user) settings are
 * the same in both configs. New pools open no connection here (they connect lazily, or at the next
 * upkeep for min_pool_size).
 */
export function planPoolReload(
  current: PoolMap,
  previous: Config,
  next: Config,
  connector?: ServerConnector,
  budgets?: BudgetBook,
): PoolReloadPlan {
  const built = buildPools(next, connector, budgets)
  const plan: PoolReloadPlan = { pools: built, added: [], changed: [], removed: [], retired: [] }
  const before = fingerprints(previous)
  const after = fingerprints(next)
  for (const [database, users] of built) {
    for (const [username, fresh] of users) {
      const key = pairKey(database, username)
      const old = current.get(database)?.get(username)
      if (old === undefined) plan.added.push(fresh.name)
      else if (before.get(key) === after.get(key)) {
        users.set(username, old)
        fresh.close() // never connected: this only takes it out of the shared budgets
      } else {
        plan.changed.push(fresh.name)
        plan.retired.push(old)
        carryScramKeys(old, fresh)
      }
    }
  }
  for (const [database, users] of current)
    for (const [username, old] of users)
      if (built.get(database)?.get(username) === undefined) {
        plan.removed.push(old.name)
        plan.retired.push(old)
      }
  return plan
}

/**
 * An auth_query user's server logins need the ClientKey a client's SCRAM proof revealed (auth-query.ts);
 * the rebuilt pool starts with what the old one learned, so its logged-in clients' next transactions
 * can open connections. Stale keys (a password changed meanwhile) are dropped at the first refusal.
 */
function carryScramKeys(old: UserPool, fresh: UserPool): void {
  const before = first(old.serverPools())?.login
  const after = first(fresh.serverPools())?.login
  if (before?.scramKeys === undefined || after === undefined || after.scramKeys !== undefined) return
  if (before.username === after.username) after.scramKeys = before.scramKeys
}

function first<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item
  return undefined
}

/** The settings each (database, user) pool is built from, as comparable text. */
function fingerprints(config: Config): Map<string, string> {
  const general = Object.fromEntries(
    Object.entries(config.general).filter(([key]) => !NOT_POOL_KEYS.has(key as keyof GeneralConfig)),
  )
  const out = new Map<string, string>()
  for (const [database, pool] of Object.entries(config.pools)) {
    const shared: Omit<PoolConfig, 'users'> & { users?: unknown } = { ...pool }
    delete shared.users
    for (const user of Object.values(pool.users))
      out.set(pairKey(database, user.username), JSON.stringify({ general, shared, user } satisfies Shape))
  }
  return out
}

interface Shape {
  general: Partial<GeneralConfig>
  shared: Omit<PoolConfig, 'users'>
  user: UserConfig
}

function pairKey(database: string, username: string): string {
  return JSON.stringify([database, username])
}
