/**
 * Skiff client SDK for edge functions: typed queries over Skiff's Neon-compatible HTTP `/sql`, batches
 * in one round trip, interactive transactions over WebSocket, routing (role, shard, sharding key) and
 * read-your-writes bookmarks. No `node:` imports: runs in Workers, Vercel Edge, Node 20+ and browsers.
 * @module
 */
export { laterBookmark, lsnValue } from './bookmark.js'
export { createClient, type SkiffClient } from './client.js'
export type {
  CacheOptions,
  ClientConfig,
  IsolationLevel,
  QueryOptions,
  TransactionOptions,
} from './config.js'
export { isSkiffError, SkiffError, type SkiffErrorCode, type SkiffErrorFields } from './errors.js'
export { type HttpAnswer, type HttpConfig, httpQuery } from './http.js'
export { encodeParam, type SqlQuery } from './params.js'
export type { FieldDef, QueryResult, ResponseMeta } from './result.js'
export type { Role, Routing } from './routing.js'
export type { SkiffTransaction } from './transaction.js'
export { Oid, type TypeOverrides, type TypeParser, typeParsers } from './types.js'
export type { WebSocketConstructor, WebSocketLike } from './wire/connection.js'
