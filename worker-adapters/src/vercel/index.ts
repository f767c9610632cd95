/**
 * Skiff on Vercel Edge Functions: `fromEnv(env)` as on Cloudflare, and `createHandler()`, a
 * `(request, context?) => Response` for an Edge Function or a Next.js route (`export const POST`).
 * There is no shared Cache API on Vercel's edge, so the read cache is opt-in and per isolate:
 * `SKIFF_CACHE = "memory"` or `createHandler({ cache: memoryCache() })`.
 * @module
 */
import {
  fromEnv as coreFromEnv,
  type EdgeClient,
  type EdgeHandler,
  type EdgeHandlerOptions,
  memoryCache,
  type SkiffEnv,
  type WaitUntil,
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

/** `process.env` where the runtime has one (Vercel Edge does). */
function processEnv(): SkiffEnv {
  const p = (globalThis as { process?: { env?: SkiffEnv } }).process
  return p?.env ?? {}
}

/** The client and handler for these bindings (default: `process.env`). */
export function fromEnv(env: SkiffEnv = processEnv(), options: EdgeHandlerOptions = {}): EdgeClient {
  const wantsMemory = (env.SKIFF_CACHE ?? '').toLowerCase() === 'memory'
  const cache = options.cache ?? (wantsMemory ? memoryCache() : false)
  return coreFromEnv(env, { ...options, cache })
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
    handler ??= fromEnv(options.env ?? processEnv(), options).handler
    return handler.fetch(request, context)
  }
}

/** A ready Edge Function (`export { default } from '@skiff/worker-adapters/vercel'`) reading `process.env`. */
export default createHandler()
