/**
 * What the metrics read, handed in by the gateway: the pool registry, the logged-in clients and a few
 * gateway-wide figures. Read at scrape time only; nothing here is called on the data path.
 * @module
 */
import type { PoolRegistry } from '../pool/pool-registry.js'
import type { TableVersionReplication } from '../pool/table-version-replication.js'
import type { ShapeCacheCounters } from '../sql/shape-cache.js'
import type { WebSocketCounters } from './front-counters.js'

/** What a scrape needs to know of one logged-in client (the admin console's client view fits). */
export interface MetricsClientView {
  readonly database: string
  readonly username: string
  /** True while the client holds a server connection. */
  readonly active?: boolean
}

/** The gateway's state the metrics read at scrape time. */
export interface MetricsSources {
  readonly pools: PoolRegistry
  /** The logged-in clients now. */
  clients(): Iterable<MetricsClientView>
  /** Client connections open now, logged in or not. */
  connectionCount(): number
  /** Gateway-wide prepared statements (session/prepared-registry.ts). */
  readonly preparedStatements: { readonly size: number }
  /** The statement shape cache's counters (sql/shape-cache.ts). */
  readonly shapeCache: { readonly counters: ShapeCacheCounters }
  /** Counted by the WebSocket endpoint. */
  readonly websockets: WebSocketCounters
  /** The table-version replication streams running now (none when absent). */
  tableVersionStreams?(): Iterable<TableVersionReplication>
}
