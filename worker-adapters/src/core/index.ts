/**
 * The core both adapters share: config from bindings, the edge `/sql` handler, the read cache.
 * @module
 */
export { normalizeSql } from './cache-key.js'
export {
  type EdgeClient,
  type EdgeClientExtras,
  type EdgeClientOptions,
  EdgeQueryError,
  type EdgeSdkOptions,
  fromEnv,
} from './client.js'
export { type EdgeConfig, readConfig, type SkiffEnv } from './config.js'
export {
  type CachedEntry,
  type EdgeCache,
  type EntryMeta,
  memoryCache,
  type WorkersCacheLike,
  workersCache,
} from './edge-cache.js'
export { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions, type WaitUntil } from './handler.js'
