/**
 * `fromEnv(env)`: the edge handler plus a small `query()` client bound to the Worker's own
 * credentials (`SKIFF_USER`, `SKIFF_DATABASE`, secret `SKIFF_PASSWORD` or `SKIFF_TOKEN`). Its queries
 * go through the same handler, so they use the same read cache and invalidation.
 *
 * This file is the one seam to `@skiff/client-sdk`: once the SDK lands, `query()` becomes its
 * `createClient({ ..., fetch: client.fetch })`; nothing else here depends on how queries are sent.
 * @module
 */
import { type EdgeConfig, readConfig, type SkiffEnv } from './config.js'
import { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions, type WaitUntil } from './handler.js'

/** Per-query choices. */
export interface EdgeQueryOptions {
  cache?: {
    maxAge?: number
    staleWhileRevalidate?: number
    tags?: string[]
    noCache?: boolean
    noStore?: boolean
  }
  role?: 'primary' | 'replica' | 'any' | 'auto'
  shard?: number
  /** Lets a background store or revalidation finish after the response (Workers `ctx`). */
  ctx?: WaitUntil
}

/** A query's answer (Neon's `fullResults` shape) and how the edge cache served it. */
export interface EdgeQueryResult<T = Record<string, unknown>> {
  rows: T[]
  fields: { name: string; dataTypeID: number }[]
  rowCount: number | null
  command: string
  /** `HIT`, `STALE`, `MISS` or `BYPASS`. */
  cache: string
}

/** What `fromEnv` returns. */
export interface EdgeClient {
  config: EdgeConfig
  handler: EdgeHandler
  /** Runs one statement as the bound user; rejects with the error Skiff returned (message, code). */
  query<T = Record<string, unknown>>(
    text: string,
    params?: unknown[],
    options?: EdgeQueryOptions,
  ): Promise<EdgeQueryResult<T>>
  /**
   * A fetch that runs `/sql` requests through the handler in-process: give it to
   * `neon(url, { fetchFunction })` or drizzle's neon-http to get the edge cache without a hop.
   */
  fetch: typeof fetch
  /**
   * `postgresql://user:password@skiff/database` for a driver whose requests go through {@link fetch}
   * (the host is never dialled). It holds the bound secret: never log it.
   */
  connectionString(): string
  /** See {@link EdgeHandler.invalidate}; the database defaults to `SKIFF_DATABASE`. */
  invalidate(tag: string, database?: string): void
}

/** An error Skiff answered, with its SQLSTATE. */
export class EdgeQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message)
    this.name = 'EdgeQueryError'
  }
}

/** The connection string sent to Skiff (its host is never dialled; only user, password, database count). */
function connectionString(c: EdgeConfig): string {
  if (c.user === undefined)
    throw new Error('SKIFF_USER is not set: fromEnv(env).query() needs the user to run as')
  const auth =
    c.password === undefined
      ? encodeURIComponent(c.user)
      : `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`
  return `postgresql://${auth}@skiff/${encodeURIComponent(c.database ?? c.user)}`
}

function queryHeaders(config: EdgeConfig, options: EdgeQueryOptions): Headers {
  const h = new Headers({
    'Content-Type': 'application/json',
    'Neon-Connection-String': connectionString(config),
  })
  h.set('Neon-Raw-Text-Output', 'true')
  if (config.token !== undefined) h.set('Authorization', `Bearer ${config.token}`)
  if (options.role !== undefined) h.set('Skiff-Role', options.role)
  if (options.shard !== undefined) h.set('Skiff-Shard', String(options.shard))
  const c = options.cache
  if (c !== undefined) {
    const d: string[] = []
    if (c.maxAge !== undefined) d.push(`max-age=${c.maxAge}`)
    if (c.staleWhileRevalidate !== undefined) d.push(`stale-while-revalidate=${c.staleWhileRevalidate}`)
    if (c.noCache) d.push('no-cache')
    if (c.noStore) d.push('no-store')
    if (d.length > 0) h.set('Skiff-Cache-Control', d.join(', '))
    if (c.tags !== undefined && c.tags.length > 0) h.set('Skiff-Cache-Tags', c.tags.join(','))
  }
  return h
}

/** Builds the handler and client from the bindings; see {@link SkiffEnv}. */
export function fromEnv(env: SkiffEnv, options: EdgeHandlerOptions = {}): EdgeClient {
  const config = readConfig(env)
  const handler = createEdgeHandler(config, options)
  const inProcess: typeof fetch = async (input, init) => {
    const req = new Request(input, init)
    // A driver given connectionString() has no password when a token is bound: add the token.
    if (config.token !== undefined && !req.headers.has('Authorization')) {
      const headers = new Headers(req.headers)
      headers.set('Authorization', `Bearer ${config.token}`)
      return handler.sql(new Request(req, { headers }))
    }
    return handler.sql(req)
  }
  return {
    config,
    handler,
    fetch: inProcess,
    connectionString: () => connectionString(config),
    invalidate: (tag, database = config.database ?? config.user) => handler.invalidate(tag, database),
    async query<T>(text: string, params: unknown[] = [], o: EdgeQueryOptions = {}) {
      const req = new Request('https://skiff-edge.local/sql', {
        method: 'POST',
        headers: queryHeaders(config, o),
        body: JSON.stringify({ query: text, params }),
      })
      const res = await handler.sql(req, o.ctx)
      const json = (await res.json()) as Record<string, unknown>
      if (res.status !== 200)
        throw new EdgeQueryError(
          String(json.message ?? `HTTP ${res.status}`),
          json.code as string | undefined,
          res.status,
        )
      return {
        rows: json.rows as T[],
        fields: json.fields as EdgeQueryResult['fields'],
        rowCount: json.rowCount as number | null,
        command: json.command as string,
        cache: res.headers.get('Skiff-Cache') ?? 'BYPASS',
      }
    },
  }
}
