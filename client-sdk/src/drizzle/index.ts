/**
 * `@skiff/client-sdk/drizzle`: drizzle-orm over the Skiff SDK (drizzle-orm is a peer dependency).
 * @module
 */
export { drizzle, SkiffDatabase } from './driver.js'
export {
  DRIZZLE_TYPES,
  type Runner,
  SkiffDrizzleTransaction,
  SkiffPreparedQuery,
  type SkiffQueryResultHKT,
  SkiffSession,
} from './session.js'
