/**
 * A ServerPool whose connections lead to fake backends, for pool tests without sessions or sockets.
 * @module
 */
import type { ServerAddress, ServerLogin } from '../server-address.js'
import { ServerPool, type ServerPoolSettings } from '../server-pool.js'
import { FakeCluster } from './fake-cluster.js'
import { MemoryConnector } from './memory-connector.js'

/** The one address every memory pool connects to. */
export const MEMORY_ADDRESS: ServerAddress = {
  host: 'fake',
  port: 5432,
  role: 'primary',
  database: 'app',
  shard: 0,
}

/** Settings of a pool of two with long timeouts, nothing opened in advance and no reset query. */
export const MEMORY_POOL_SETTINGS: ServerPoolSettings = {
  poolSize: 2,
  minPoolSize: 0,
  idleTimeout: 600_000,
  serverLifetime: 3_600_000,
  queryWaitTimeout: 0,
  preparedStatementsCacheSize: 0,
  serverResetQuery: '',
  recoveryTimeout: 5000,
}

/** How a memory pool logs in: user alice, password "secret" (what a FakeCluster asks by default). */
export const MEMORY_LOGIN: ServerLogin = {
  username: 'alice',
  password: 'secret',
  applicationName: '',
  statementTimeout: 0,
  connectTimeout: 1000,
}

/** What a test gets: the pool, and the fake backends behind it. */
export interface MemoryPool {
  pool: ServerPool
  cluster: FakeCluster
}

/**
 * A pool named `app/alice` over `cluster` (a new trust cluster by default), with `settings` and
 * `login` patched over the defaults above. Close it at the end of the test (`pool.close()`).
 */
export function memoryPool(
  settings: Partial<ServerPoolSettings> = {},
  cluster = new FakeCluster(),
  login: Partial<ServerLogin> = {},
): MemoryPool {
  const pool = new ServerPool(
    'app/alice',
    MEMORY_ADDRESS,
    { ...MEMORY_LOGIN, ...login },
    { ...MEMORY_POOL_SETTINGS, ...settings },
    new MemoryConnector(cluster),
  )
  pool.monitor?.start() // as the gateway's upkeep does (ServerPool.maintain)
  return { pool, cluster }
}
