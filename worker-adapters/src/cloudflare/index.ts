/**
 * Skiff on Cloudflare Workers. The default export is a ready Worker serving an edge `POST /sql` in
 * front of Skiff (root `wrangler.toml`), with the read cache in the Workers Cache API
 * (`caches.default`); `fromEnv(env)` gives app code a client bound to the Worker's credentials.
 * @module
 */
import {
  fromEnv as coreFromEnv,
  createEdgeHandler,
  type EdgeClient,
  type EdgeClientOptions,
  type EdgeHandler,
  type EdgeHandlerOptions,
  readConfig,
  type SkiffEnv,
  type WaitUntil,
  type WorkersCacheLike,
  workersCache,
} from '../core/index.js'

export * from '../core/public.js'

/** Cloudflare's default cache (`caches.default`), missing from the DOM typings. */
function defaultCache(): WorkersCacheLike | undefined {
  const c = (globalThis as { caches?: { default?: WorkersCacheLike } }).caches
  return c?.default
}

/** `options.cache`, else `caches.default` unless `SKIFF_CACHE = "off"` (read in the config). */
function cacheOption(options: EdgeHandlerOptions): EdgeHandlerOptions {
  return { ...options, cache: options.cache ?? (defaultCache() ? workersCache(defaultCache()!) : false) }
}

/**
 * The `@skiff/client-sdk` client for these bindings (its HTTP requests through the edge handler
 * in-process), with the handler and `fetch`, `connectionString()`, `invalidate()`, `withContext()`;
 * the cache defaults to `caches.default` unless `SKIFF_CACHE = "off"` or `options.cache` says otherwise.
 */
export function fromEnv(env: SkiffEnv, options: EdgeClientOptions = {}): EdgeClient {
  return coreFromEnv(env, cacheOption(options))
}

/** The edge handler for these bindings (what the default Worker runs; needs no `SKIFF_USER`). */
export function createHandler(env: SkiffEnv, options: EdgeHandlerOptions = {}): EdgeHandler {
  return createEdgeHandler(readConfig(env), cacheOption(options))
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
