/**
 * Turns the config's `[pools.*]` into the live pool tree: (database, user) → shards → servers.
 * @module
 */
import type { Config, PoolConfig, UserConfig } from '../config/schema.js'
import { parseDefaultShard, parseKeyColumn } from '../config/sharding-values.js'
import { AuthQuery } from './auth-query.js'
import { BudgetBook, type ConnectionBudget } from './connection-budget.js'
import type { PoolMap } from './pool-registry.js'
import type { PoolSharding } from './pool-sharding.js'
import type { ServerLogin } from './server-address.js'
import { defaultConnector, type ServerConnector } from './server-connector.js'
import { ServerPool } from './server-pool.js'
import { loadServerTls, type ServerTls } from './server-tls.js'
import { type PoolRouting, UserPool } from './user-pool.js'

/**
 * Builds every pool named by the config. Connections open lazily (or at min_pool_size), through
 * `connector` (TCP unless a test gives an in-memory one).
 */
export function buildPools(
  config: Config,
  connector: ServerConnector = defaultConnector,
  budgets: BudgetBook = new BudgetBook(),
): PoolMap {
  const pools: PoolMap = new Map()
  const tls = loadServerTls(config.general) // a missing CA file stops the build, naming the key
  for (const [database, poolConfig] of Object.entries(config.pools)) {
    const users = new Map<string, UserPool>()
    for (const user of Object.values(poolConfig.users)) {
      const pool = buildUserPool(config, database, poolConfig, user, connector, tls)
      shareBudgets(
        pool,
        config.general.max_user_connections,
        poolConfig.max_db_connections ?? config.general.max_db_connections,
        budgets,
      )
      users.set(user.username, pool)
    }
    pools.set(database, users)
  }
  return pools
}

function buildUserPool(
  config: Config,
  database: string,
  pool: PoolConfig,
  user: UserConfig,
  connector: ServerConnector,
  tls: ServerTls | undefined,
): UserPool {
  const g = config.general
  const name = `${database}/${user.username}`
  const login: ServerLogin = {
    username: user.server_username ?? user.username,
    password: user.server_password ?? user.password,
    applicationName: g.application_name,
    statementTimeout: user.statement_timeout,
    connectTimeout: user.connect_timeout ?? pool.connect_timeout ?? g.connect_timeout,
    tls,
  }
  const settings = {
    poolSize: user.pool_size,
    minPoolSize: user.min_pool_size,
    idleTimeout: user.idle_timeout ?? pool.idle_timeout ?? g.idle_timeout,
    serverLifetime: user.server_lifetime ?? pool.server_lifetime ?? g.server_lifetime,
    queryWaitTimeout: g.query_wait_timeout,
    queryWaitNotify: g.query_wait_notify,
    preparedStatementsCacheSize: pool.prepared_statements_cache_size ?? g.prepared_statements_cache_size,
    serverResetQuery: g.server_reset_query,
    recoveryTimeout: g.server_recovery_timeout,
    sessionReuse: g.session_server_reuse,
    healthcheckDelay: g.healthcheck_delay,
    healthcheckTimeout: g.healthcheck_timeout,
    banTime: g.ban_time * 1000,
    monitorInterval: monitorInterval(config, pool),
  }
  const shardKeys = Object.keys(pool.shards).sort((a, b) => Number(a) - Number(b))
  const shards = shardKeys.map((key) =>
    pool.shards[key]!.servers.map(
      (s) =>
        new ServerPool(
          name,
          {
            host: s.host,
            port: s.port,
            role: s.role,
            database: pool.shards[key]!.database,
            shard: Number(key),
            weight: s.weight,
          },
          login,
          settings,
          connector,
        ),
    ),
  )
  const credential = { username: user.username, password: user.password }
  const mode = user.pool_mode ?? pool.pool_mode
  const authMethod = user.auth_type ?? g.auth_type
  const idleInTransaction = g.idle_client_in_transaction_timeout
  const cacheSize = settings.preparedStatementsCacheSize
  const userPool = new UserPool(
    database,
    user.username,
    mode,
    authMethod,
    credential,
    shards,
    idleInTransaction,
    cacheSize,
    g.pin_session_state,
    g.notification_listener,
    poolRouting(pool),
  )
  userPool.transactionTimeout = g.transaction_timeout
  userPool.tableVersions = pool.table_versions
  userPool.authQuery = authQueryOf(config, database, pool, user, login, userPool, connector)
  return userPool
}

/**
 * max_db_connections and max_user_connections: each server pool joins the budget of its (database,
 * server) and of its (server user, server), shared with the other pools of the same pair
 * (connection-budget.ts). Without limits there are no budgets, so nothing is counted.
 */
function shareBudgets(pool: UserPool, userLimit: number, dbLimit: number, book: BudgetBook): void {
  for (const sp of pool.serverPools()) {
    const server = `${sp.address.host}:${sp.address.port}`
    const budgets: ConnectionBudget[] = []
    if (dbLimit > 0) budgets.push(book.get(`max_db_connections of ${pool.database} on ${server}`, dbLimit))
    if (userLimit > 0)
      budgets.push(book.get(`max_user_connections of ${sp.login.username} on ${server}`, userLimit))
    if (budgets.length > 0) sp.shareBudgets(budgets)
  }
}

/**
 * A user listed without a password in a pool with auth_query gets its secret from the server. It
 * also serves server logins unless server_password (or another server_username) says otherwise.
 */
function authQueryOf(
  config: Config,
  database: string,
  pool: PoolConfig,
  user: UserConfig,
  login: ServerLogin,
  userPool: UserPool,
  connector: ServerConnector,
): AuthQuery | undefined {
  const g = config.general
  const query = pool.auth_query ?? g.auth_query
  const queryUser = pool.auth_query_user ?? g.auth_query_user
  const password = pool.auth_query_password ?? g.auth_query_password
  if (user.password !== undefined || query === undefined || queryUser === undefined) return undefined
  const ownLogin = user.server_password === undefined && login.username === user.username
  const target = () => userPool.currentPrimary(0).address
  const settings = { query, user: queryUser, password: password ?? '' }
  return new AuthQuery(settings, user.username, ownLogin ? login : undefined, target, connector, database)
}

/**
 * Background monitors (server-monitor.ts) watch the servers of pools that list replicas, where roles,
 * bans and lag decide where reads go and a promoted replica must be found; a pool of primaries only
 * has nothing to choose between.
 */
function monitorInterval(config: Config, pool: PoolConfig): number | undefined {
  const interval = config.general.healthcheck_interval
  const replicas = Object.values(pool.shards).some((s) => s.servers.some((v) => v.role === 'replica'))
  return replicas && interval > 0 ? interval : undefined
}

/** The pool's routing keys as the router reads them. */
function poolRouting(pool: PoolConfig): PoolRouting {
  return {
    defaultRole: pool.default_role,
    splitting: pool.query_parser_enabled && pool.query_parser_read_write_splitting,
    primaryReads: pool.primary_reads_enabled,
    loadBalancing: pool.load_balancing_mode,
    readYourWrites: pool.read_your_writes,
    maxLagMs: pool.max_replica_lag_ms,
    maxLagBytes: pool.max_replica_lag_bytes,
    sharding: poolSharding(pool),
  }
}

/** The pool's sharding keys, already checked by the config's rules (schema-checks.ts). */
function poolSharding(pool: PoolConfig): PoolSharding {
  const regex = (pattern: string | undefined) => (pattern === undefined ? undefined : new RegExp(pattern))
  const key = pool.automatic_sharding_key
  return {
    fn: pool.sharding_function,
    automaticKey: key === undefined ? undefined : parseKeyColumn(key),
    keyRegex: regex(pool.sharding_key_regex),
    shardIdRegex: regex(pool.shard_id_regex),
    regexSearchLimit: pool.regex_search_limit,
    defaultShard: parseDefaultShard(pool.default_shard) ?? 0,
    crossShardReads: pool.cross_shard_reads,
  }
}
