/**
 * The client's configuration and the option types of its calls.
 * @module
 */
import type { Routing } from './routing.js'
import type { TypeOverrides } from './types.js'
import type { WebSocketConstructor } from './wire/connection.js'

/** What `createClient` takes. */
export interface ClientConfig extends Routing {
  /** The gateway's HTTP(S) base URL, e.g. `https://gw.example:8443`. */
  url: string
  user: string
  /** The user's password (needed for `transaction()`, which logs in over WebSocket). */
  password?: string
  /** A Skiff API token (`[[http.api_tokens]]`), sent as `Authorization: Bearer` instead of a password. */
  token?: string
  database: string
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch
  /** A WebSocket constructor for `transaction()` where there is no global one (Node 20: `ws`). */
  WebSocket?: WebSocketConstructor
  /** Path of the WebSocket endpoint (default `/v2`, the Neon driver's). */
  webSocketPath?: string
  /** Send the last `Skiff-Lsn` received with later requests (default true). */
  readYourWrites?: boolean
  /** A bookmark from another client (`db.bookmark()`), so this one reads that client's writes. */
  bookmark?: string
  /** int8 (and int8[]) as `bigint` instead of strings (default false, as node-postgres). */
  bigint?: boolean
  /** Per-OID parsers replacing the defaults. */
  types?: TypeOverrides
  /** application_name of the sessions (default `skiff-client-sdk`). */
  applicationName?: string
  /**
   * Called after each `transaction()` that committed and was not read-only (the edge adapters use it
   * to re-check table versions, so their cache sees the transaction's writes at once).
   */
  onCommit?: () => void
}

/** An edge-cache hint for a read (used by the Skiff edge adapters; the gateway ignores it). */
export interface CacheOptions {
  maxAge?: number
  staleWhileRevalidate?: number
  tags?: string[]
  /** Fetch from Skiff even when a fresh entry exists, and store the answer (`no-cache`). */
  noCache?: boolean
  /** Neither read nor store the edge cache (`no-store`). */
  noStore?: boolean
}

/** Options of one `query` call. */
export interface QueryOptions extends Routing {
  /** Rows as arrays of values instead of objects. */
  arrayMode?: boolean
  /** Per-OID parsers for this call only (over the client's). */
  types?: TypeOverrides
  cache?: CacheOptions
}

/** Transaction isolation levels, under Neon's header names. */
export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable'

/** Options of `batch` and `transaction`. */
export interface TransactionOptions extends Routing {
  isolationLevel?: IsolationLevel
  readOnly?: boolean
  deferrable?: boolean
}
