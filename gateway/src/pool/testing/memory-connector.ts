/**
 * The gateway's own {@link StreamConnector} over in-memory pipes: pools built with it log in to fake
 * backends exactly as they log in to Postgres over TCP (same login code, same timeouts), with no socket.
 * @module
 */
import { StreamConnector } from '../server-connector.js'
import { FakeCluster } from './fake-cluster.js'

/**
 * A server connector whose every pipe leads to a new backend of `cluster`.
 * @example
 * const connector = new MemoryConnector()
 * const gateway = new Gateway(config, connector) // no start(): sessions are driven in memory
 * connector.cluster.servers[0]?.queries()
 */
export class MemoryConnector extends StreamConnector {
  constructor(readonly cluster: FakeCluster = new FakeCluster()) {
    super((address) => cluster.open(address))
  }
}
