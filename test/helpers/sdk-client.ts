/**
 * A `@skiff/client-sdk` client for a test gateway (HTTP on its loopback port; `ws` for transactions,
 * since Node 20 has no global WebSocket).
 * @module
 */
import ws from 'ws'
import {
  type ClientConfig,
  createClient,
  type SkiffClient,
  type WebSocketConstructor,
} from '../../client-sdk/src/index.js'
import type { TopologyDescription } from '../../infra/src/describe.js'
import type { TestGateway } from './gateway.js'
import { topology } from './topology.js'

/** A client for `gw` as the topology's scram user; `extra` overrides any setting. */
export function sdkClient(
  gw: TestGateway,
  extra: Partial<ClientConfig> = {},
  t: TopologyDescription = topology(),
): SkiffClient {
  const u = t.users.scram
  return createClient({
    url: `http://127.0.0.1:${gw.httpPort}`,
    user: u.username,
    password: u.password,
    database: t.database,
    WebSocket: ws as unknown as WebSocketConstructor,
    ...extra,
  })
}
