/**
 * `fromEnv(env)`: the edge handler plus a `@skiff/client-sdk` client bound to the Worker's own
 * credentials (`SKIFF_USER`, `SKIFF_DATABASE`, secret `SKIFF_PASSWORD` or `SKIFF_TOKEN`). The client's
 * HTTP requests go through the handler in-process (its `fetch` is the handler), so they use the same
 * read cache and invalidation; `transaction()` opens a WebSocket to Skiff itself (`SKIFF_URL`, path
 * `/v2`), since an interactive session cannot be cached.
 * @module
 */
import { type ClientConfig, createClient, type SkiffClient, SkiffError } from '@skiff/client-sdk'
import { type EdgeConfig, readConfig, type SkiffEnv } from './config.js'
import { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions, type WaitUntil } from './handler.js'

/** SDK settings `fromEnv` passes on (the bindings give the URL, credentials and database). */
export type EdgeSdkOptions = Omit<
  Partial<ClientConfig>,
  'url' | 'user' | 'password' | 'token' | 'database' | 'fetch'
>

/** Options of `fromEnv`: the handler's, plus SDK settings (e.g. `WebSocket`, `bigint`, `types`). */
export interface EdgeClientOptions extends EdgeHandlerOptions {
  client?: EdgeSdkOptions
}

/** The adapter's own members, on top of the SDK client. */
export interface EdgeClientExtras {
  config: EdgeConfig
  handler: EdgeHandler
  /**
   * A fetch that runs `/sql` requests through the handler in-process (the SDK client uses it too):
   * give it to `neon(url, { fetchFunction })` or drizzle's neon-http to get the edge cache without a hop.
   */
  fetch: typeof fetch
  /**
   * `postgresql://user:password@skiff/database` for a driver whose requests go through {@link fetch}
   * (the host is never dialled). It holds the bound secret: never log it.
   */
  connectionString(): string
  /** See {@link EdgeHandler.invalidate}; the database defaults to `SKIFF_DATABASE`. */
  invalidate(tag: string, database?: string): void
  /**
   * This client for one request's `ctx`: a stale entry (within `stale-while-revalidate`) is then
   * served at once and refreshed in `ctx.waitUntil`; without a ctx it is fetched inline (a miss).
   * It starts from this client's bookmark and keeps its own from then on.
   */
  withContext(ctx: WaitUntil): EdgeClient
}

/**
 * What `fromEnv` returns: the SDK client (tagged template, `query`, `batch`, `transaction`, routing,
 * bookmarks; results carry `cache`: `HIT`, `STALE`, `MISS` or `BYPASS`) and {@link EdgeClientExtras}.
 */
export type EdgeClient = SkiffClient & EdgeClientExtras

/**
 * @deprecated Errors are `SkiffError`s (`isSkiffError(e)`, SQLSTATE in `code`); this alias stays for
 * code written against the first adapter client.
 */
export const EdgeQueryError = SkiffError
/** @deprecated See {@link EdgeQueryError}. */
export type EdgeQueryError = SkiffError

/** The user the client runs as; fromEnv cannot build a client without one. */
function boundUser(c: EdgeConfig): string {
  if (c.user === undefined)
    throw new SkiffError(
      'SKIFF_USER is not set: fromEnv(env) builds a client that runs as SKIFF_USER (createHandler needs none)',
      { code: 'SKIFF_BAD_INPUT' },
    )
  return c.user
}

/** The connection string for drivers (its host is never dialled; only user, password, database count). */
function connectionString(c: EdgeConfig): string {
  const user = boundUser(c)
  const auth =
    c.password === undefined
      ? encodeURIComponent(user)
      : `${encodeURIComponent(user)}:${encodeURIComponent(c.password)}`
  return `postgresql://${auth}@skiff/${encodeURIComponent(c.database ?? user)}`
}

/** The handler as a fetch; a request without `Authorization` gets the bound token (a driver has none). */
function inProcessFetch(config: EdgeConfig, handler: EdgeHandler, ctx?: WaitUntil): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init)
    if (config.token !== undefined && !req.headers.has('Authorization')) {
      const headers = new Headers(req.headers)
      headers.set('Authorization', `Bearer ${config.token}`)
      return handler.sql(new Request(req, { headers }), ctx)
    }
    return handler.sql(req, ctx)
  }
}

/** The SDK client over the handler, with the adapter's members. */
function assemble(
  config: EdgeConfig,
  handler: EdgeHandler,
  sdk: EdgeSdkOptions,
  ctx: WaitUntil | undefined,
): EdgeClient {
  const user = boundUser(config)
  const database = config.database ?? user
  const fetch = inProcessFetch(config, handler, ctx)
  const client = createClient({
    ...sdk,
    url: config.url,
    user,
    password: config.password,
    token: config.token,
    database,
    fetch,
    // A transaction's writes go past the handler (WebSocket): have it ask Skiff for versions again.
    onCommit: () => {
      handler.recheckVersions(database)
      sdk.onCommit?.()
    },
  })
  const extras: EdgeClientExtras = {
    config,
    handler,
    fetch,
    connectionString: () => connectionString(config),
    invalidate: (tag, db = database) => handler.invalidate(tag, db),
    withContext: (c) => assemble(config, handler, { ...sdk, bookmark: client.bookmark() }, c),
  }
  return Object.assign(client, extras)
}

/**
 * Builds the handler and the client from the bindings; see {@link SkiffEnv}. Throws a SkiffError
 * (`SKIFF_BAD_INPUT`) when `SKIFF_USER` is not bound, and an Error for a missing or bad `SKIFF_URL`.
 */
export function fromEnv(env: SkiffEnv, options: EdgeClientOptions = {}): EdgeClient {
  const config = readConfig(env)
  const { client, ...handlerOptions } = options
  return assemble(config, createEdgeHandler(config, handlerOptions), client ?? {}, undefined)
}
