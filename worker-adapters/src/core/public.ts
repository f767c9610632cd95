/**
 * The names both adapters export besides their own `fromEnv`, `createHandler` and default: kept in
 * one list so `./cloudflare` and `./vercel` cannot drift apart (the issue asks for identical names).
 * @module
 */
export {
  isSkiffError,
  type QueryOptions,
  type QueryResult,
  type SkiffClient,
  SkiffError,
  type SkiffTransaction,
} from '@skiff/client-sdk'
export type {
  EdgeCache,
  EdgeClient,
  EdgeClientExtras,
  EdgeClientOptions,
  EdgeHandler,
  EdgeSdkOptions,
  SkiffEnv,
} from './index.js'
export { EdgeQueryError, memoryCache, normalizeSql, workersCache } from './index.js'
