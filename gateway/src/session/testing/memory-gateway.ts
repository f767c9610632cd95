/**
 * A whole gateway in memory: a valid config with one transaction-mode and one session-mode pool, a
 * {@link Gateway} built over fake backends (never started: no listener), and clients driving real
 * sessions against it.
 * @module
 */
import { load, merge, type Table } from '../../config/testing/fixtures.js'
import { Gateway } from '../../gateway.js'
import { FakeCluster, type FakeClusterOptions } from '../../pool/testing/fake-cluster.js'
import { MemoryConnector } from '../../pool/testing/memory-connector.js'
import { TestClient } from './test-client.js'

/**
 * Pools `app` (transaction mode) and `sess` (session mode), each with user `alice` (trust, pool_size 1)
 * and, in `app`, user `bob` (md5, password `bob_pw`, pool_size 2). Both pools reach the same cluster.
 */
export function memoryGatewayConfig(patch: Table = {}): Table {
  const servers = [['127.0.0.1', 5432, 'primary']]
  const base: Table = {
    pools: {
      app: {
        pool_mode: 'transaction',
        users: {
          '0': { username: 'alice', password: undefined, auth_type: 'trust', pool_size: 1 },
          '1': { username: 'bob', password: 'bob_pw', auth_type: 'md5', pool_size: 2 },
        },
      },
      sess: {
        pool_mode: 'session',
        users: { '0': { username: 'alice', auth_type: 'trust', pool_size: 1 } },
        shards: { '0': { servers, database: 'sess' } },
      },
    },
  }
  return merge(base, patch)
}

/** A gateway over fake backends, and a way to connect clients to it. */
export class MemoryGateway {
  readonly cluster: FakeCluster
  readonly gateway: Gateway

  /** `patch` is merged over {@link memoryGatewayConfig}; `cluster` says what the backends do. */
  constructor(patch: Table = {}, cluster: FakeClusterOptions | FakeCluster = {}) {
    this.cluster = cluster instanceof FakeCluster ? cluster : new FakeCluster(cluster)
    const { config } = load(memoryGatewayConfig(patch))
    this.gateway = new Gateway(config, new MemoryConnector(this.cluster))
  }

  /** A new client connection (not logged in yet). */
  connect(): TestClient {
    return new TestClient(this.gateway)
  }

  /** A client logged in as `user` to `database` (a trust user unless `password` is given). */
  async login(database = 'app', user = 'alice', password?: string): Promise<TestClient> {
    const client = this.connect()
    const welcome = await client.login({ user, database, password })
    if (welcome.at(-1)?.code !== 'Z') throw new Error(`login failed: ${welcome.map((m) => m.summary)}`)
    return client
  }

  /** The server pool of `database` for `user` (its primary). */
  serverPool(database = 'app', user = 'alice') {
    return this.gateway.pools.get(database, user)!.primary(0)
  }

  /** Closes every pool (and so every fake connection). */
  stop(): Promise<void> {
    return this.gateway.stop()
  }
}
