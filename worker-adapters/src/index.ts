/**
 * Skiff edge adapters: `@skiff/worker-adapters/cloudflare` (a ready Worker, `fromEnv`,
 * `createHandler`) and `@skiff/worker-adapters/vercel` (the same for Edge Functions). This entry is
 * the shared core.
 * @module
 */
export * from './core/index.js'
