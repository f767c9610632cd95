/**
 * The bindings a Worker or an Edge Function gives the adapters (`SKIFF_URL`, secret `SKIFF_PASSWORD`
 * or `SKIFF_TOKEN`, cache defaults), read once into an {@link EdgeConfig}.
 * @module
 */

/** Worker bindings / `process.env` keys the adapters read; every value is a string, as bindings are. */
export interface SkiffEnv {
  /** Skiff's HTTP base, e.g. `https://gw.example:8443` (a trailing `/sql` is accepted). */
  SKIFF_URL?: string
  /** The user and database the `fromEnv(env)` client runs as (the edge `/sql` uses the caller's). */
  SKIFF_USER?: string
  SKIFF_DATABASE?: string
  /** Secret: the user's password. */
  SKIFF_PASSWORD?: string
  /** Secret: an API token (`[[http.api_tokens]]`), sent as `Authorization: Bearer`. */
  SKIFF_TOKEN?: string
  /** `off` disables the edge read cache. */
  SKIFF_CACHE?: string
  /** Default seconds a cacheable read stays fresh (60). */
  SKIFF_CACHE_MAX_AGE?: string
  /** Default seconds a read past max-age may still be served while it is refetched (0). */
  SKIFF_CACHE_STALE_WHILE_REVALIDATE?: string
  /** Seconds between two checks of a table's version against Skiff (1). */
  SKIFF_VERSION_TTL?: string
}

/** What the edge handler and client run with. */
export interface EdgeConfig {
  /** Skiff's HTTP base without a trailing slash. */
  url: string
  user?: string
  database?: string
  password?: string
  token?: string
  cacheEnabled: boolean
  maxAge: number
  staleWhileRevalidate: number
  /** Milliseconds. */
  versionTtl: number
}

function seconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of seconds ≥ 0, got "${value}"`)
  return n
}

/** Reads and checks the bindings; throws a clear error (never naming a secret's value). */
export function readConfig(env: SkiffEnv): EdgeConfig {
  const raw = env.SKIFF_URL?.trim()
  if (!raw)
    throw new Error('SKIFF_URL is not set: bind it to the Skiff HTTP address, e.g. https://gw.example:8443')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error('SKIFF_URL is not a URL: use e.g. https://gw.example:8443')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`SKIFF_URL must be http:// or https://, not ${url.protocol}`)
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/sql$/, '')}`
  return {
    url: base,
    user: env.SKIFF_USER || undefined,
    database: env.SKIFF_DATABASE || undefined,
    password: env.SKIFF_PASSWORD || undefined,
    token: env.SKIFF_TOKEN || undefined,
    cacheEnabled: (env.SKIFF_CACHE ?? 'on').toLowerCase() !== 'off',
    maxAge: seconds(env.SKIFF_CACHE_MAX_AGE, 'SKIFF_CACHE_MAX_AGE', 60),
    staleWhileRevalidate: seconds(
      env.SKIFF_CACHE_STALE_WHILE_REVALIDATE,
      'SKIFF_CACHE_STALE_WHILE_REVALIDATE',
      0,
    ),
    versionTtl: seconds(env.SKIFF_VERSION_TTL, 'SKIFF_VERSION_TTL', 1) * 1000,
  }
}
