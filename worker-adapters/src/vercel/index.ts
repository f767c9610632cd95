/**
 * Skiff on Vercel Edge Functions: `fromEnv(env)` as on Cloudflare, and `createHandler()`, a
 * `(request, context?) => Response` for an Edge Function or a Next.js route (`export const POST`).
 * There is no shared Cache API on Vercel's edge, so the read cache is opt-in and per isolate:
 * `SKIFF_CACHE = "memory"` or `createHandler({ cache: memoryCache() })`.
 * @module
 */
import {
  fromEnv as coreFromEnv,
  createEdgeHandler,
  type EdgeClient,
  type EdgeClientOptions,
  type EdgeHandler,
  type EdgeHandlerOptions,
  memoryCache,
  readConfig,
  type SkiffEnv,
  type WaitUntil,
} from '../core/index.js'

export * from '../core/public.js'

/** `process.env` where the runtime has one (Vercel Edge does). */
function processEnv(): SkiffEnv {
  const p = (globalThis as { process?: { env?: SkiffEnv } }).process
  return p?.env ?? {}
}

/** `options.cache`, else a per-isolate memory cache when `SKIFF_CACHE = "memory"`, else none. */
function cacheOption(env: SkiffEnv, options: EdgeHandlerOptions): EdgeHandlerOptions {
  const wantsMemory = (env.SKIFF_CACHE ?? '').toLowerCase() === 'memory'
  return { ...options, cache: options.cache ?? (wantsMemory ? memoryCache() : false) }
}

/**
 * The `@skiff/client-sdk` client for these bindings (default: `process.env`), its HTTP requests
 * through the edge handler in-process, with the handler and `fetch`, `connectionString()`,
 * `invalidate()`, `withContext()`.
 */
export function fromEnv(env: SkiffEnv = processEnv(), options: EdgeClientOptions = {}): EdgeClient {
  return coreFromEnv(env, cacheOption(env, options))
}

/** Options of {@link createHandler}: the handler's, plus the bindings. */
export interface VercelHandlerOptions extends EdgeHandlerOptions {
  env?: SkiffEnv
}

/** An Edge Function serving the edge `/sql` (and `/health`); built on first use, then kept. */
export function createHandler(
  options: VercelHandlerOptions = {},
): (request: Request, context?: WaitUntil) => Promise<Response> {
  let handler: EdgeHandler | undefined
  return (request, context) => {
    if (handler === undefined) {
      const env = options.env ?? processEnv()
      handler = createEdgeHandler(readConfig(env), cacheOption(env, options))
    }
    return handler.fetch(request, context)
  }
}

/** A ready Edge Function (`export { default } from '@skiff/worker-adapters/vercel'`) reading `process.env`. */
export default createHandler()
