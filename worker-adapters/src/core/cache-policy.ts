/**
 * A request's cache choices: `Skiff-Cache-Control` (`max-age=60, stale-while-revalidate=30`,
 * `no-cache` = do not serve from the cache but store the answer, `no-store` = bypass the cache) and
 * `Skiff-Cache-Tags: a,b` (caller tags, for `invalidate(tag)`). Absent parts take the defaults.
 * @module
 */
import type { EdgeConfig } from './config.js'
import { parseList } from './versions.js'

/** Resolved choices for one request. */
export interface CachePolicy {
  maxAge: number
  staleWhileRevalidate: number
  /** Do not serve from the cache (the answer may be stored). */
  noCache: boolean
  /** Neither serve from nor store into the cache. */
  noStore: boolean
  tags: string[]
}

/** Reads the request headers over the configured defaults; a malformed directive is a 400. */
export function cachePolicy(headers: Headers, config: EdgeConfig): CachePolicy {
  const policy: CachePolicy = {
    maxAge: config.maxAge,
    staleWhileRevalidate: config.staleWhileRevalidate,
    noCache: false,
    noStore: !config.cacheEnabled,
    tags: parseList(headers.get('Skiff-Cache-Tags')) ?? [],
  }
  const control = headers.get('Skiff-Cache-Control')
  for (const part of parseList(control) ?? []) {
    const [name, value] = part
      .toLowerCase()
      .split('=', 2)
      .map((s) => s.trim()) as [string, string?]
    if (name === 'no-cache') policy.noCache = true
    else if (name === 'no-store') policy.noStore = true
    else if (name === 'max-age' || name === 'stale-while-revalidate') {
      const n = Number(value)
      if (value === undefined || !Number.isInteger(n) || n < 0)
        throw new CacheControlError(`${name} must be a whole number of seconds, got "${value ?? ''}"`)
      if (name === 'max-age') policy.maxAge = n
      else policy.staleWhileRevalidate = n
    } else throw new CacheControlError(`unknown Skiff-Cache-Control directive "${name}"`)
  }
  if (policy.maxAge === 0 && policy.staleWhileRevalidate === 0) policy.noStore = true
  return policy
}

/** A malformed `Skiff-Cache-Control`. */
export class CacheControlError extends Error {}
