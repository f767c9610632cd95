/**
 * Skiff on Cloudflare Workers. The default export is a ready Worker serving an edge `POST /sql` in
 * front of Skiff (root `wrangler.toml`), with the read cache in the Workers Cache API
 * (`caches.default`); `fromEnv(env)` gives app code a client bound to the Worker's credentials.
 * @module
 */
import {
  fromEnv as coreFromEnv,
  type EdgeClient,
  type EdgeHandler,
  type EdgeHandlerOptions,
  type SkiffEnv,
  type WaitUntil,
  type WorkersCacheLike,
  workersCache,
} from '../core/index.js'

export type {
  EdgeCache,
  EdgeClient,
  EdgeHandler,
  EdgeQueryOptions,
  EdgeQueryResult,
  SkiffEnv,
} from '../core/index.js'
export { EdgeQueryError, memoryCache, normalizeSql, workersCache } from '../core/index.js'

/** Cloudflare's default cache (`caches.default`), missing from the DOM typings. */
function defaultCache(): WorkersCacheLike | undefined {
  const c = (globalThis as { caches?: { default?: WorkersCacheLike } }).caches
  return c?.default
}

/**
 * The client and handler for these bindings; the cache defaults to `caches.default` unless
 * `SKIFF_CACHE = "off"` or `options.cache` says otherwise.
 */
export function fromEnv(env: SkiffEnv, options: EdgeHandlerOptions = {}): EdgeClient {
  const cache = options.cache ?? (defaultCache() ? workersCache(defaultCache()!) : false)
  return coreFromEnv(env, { ...options, cache })
}

/** The edge handler for these bindings (what the default Worker runs). */
export function createHandler(env: SkiffEnv, options: EdgeHandlerOptions = {}): EdgeHandler {
  return fromEnv(env, options).handler
}

/** One handler per bindings object, so an isolate keeps its invalidations and known versions. */
const handlers = new WeakMap<object, EdgeHandler>()

/** The ready Worker. */
export default {
  async fetch(request: Request, env: SkiffEnv, ctx: WaitUntil): Promise<Response> {
    let handler = handlers.get(env)
    if (handler === undefined) {
      try {
        handler = createHandler(env)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        return Response.json({ message, code: 'F0000', severity: 'FATAL' }, { status: 500 })
      }
      handlers.set(env, handler)
    }
    return handler.fetch(request, ctx)
  },
}
