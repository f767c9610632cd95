/**
 * The edge `/sql` handler: a Neon-compatible request in, forwarded to Skiff, the answer out, with the
 * edge read cache in between. Only what Skiff's response headers say decides caching: a response is
 * stored only with `Skiff-Cacheable: true`; a response without `Skiff-Read-Only: true` is a write
 * that invalidates the tables of `Skiff-Writes`, or everything of its database when Skiff named none.
 * @module
 */
import { cacheKey } from './cache-key.js'
import { CacheControlError, type CachePolicy, cachePolicy } from './cache-policy.js'
import { type Caller, callerOf, VerifiedCallers } from './caller.js'
import type { EdgeConfig } from './config.js'
import type { CachedEntry, EdgeCache, EntryMeta } from './edge-cache.js'
import { Invalidations } from './invalidations.js'
import { coversBookmark } from './read-your-writes.js'
import { CORS_HEADERS, errorResponse, respond } from './responses.js'
import { getVersions, keptResponseHeaders, postSql } from './upstream.js'
import { parseTableList, parseVersions, VersionBook } from './versions.js'

/** Lets work finish after the response is sent (Workers `ctx`, Vercel `waitUntil`). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void
}

/** Options of {@link createEdgeHandler}. */
export interface EdgeHandlerOptions {
  /** Where reads are cached; `false` or absent: no cache. */
  cache?: EdgeCache | false
  /** The fetch used to reach Skiff (default: the global one). */
  fetch?: typeof fetch
  /** Entries larger than this are not stored (default 1 MiB). */
  maxEntryBytes?: number
}

/** The edge handler. */
export interface EdgeHandler {
  /** Serves `POST /sql`, `OPTIONS /sql` and `GET /health`; anything else is a 404. */
  fetch(request: Request, ctx?: WaitUntil): Promise<Response>
  /** Serves one `/sql` request (any path). */
  sql(request: Request, ctx?: WaitUntil): Promise<Response>
  /** Makes every entry tagged `tag` (a caller tag or a table, `public.t`) stale in this isolate. */
  invalidate(tag: string, database?: string): void
  /**
   * Asks Skiff for the version of every table again before its next cached read (in `database`, or
   * in all): for writes made past `/sql`, such as a `transaction()` over WebSocket, so that entries
   * they made stale are seen as such now rather than within `version_ttl`.
   */
  recheckVersions(database?: string): void
}

/** A Skiff answer, read whole. */
interface Upstream {
  status: number
  text: string
  headers: [string, string][]
  /** When the request left for Skiff. */
  readAt: number
  raw: Headers
}

/** The edge `/sql` handler of one isolate; it keeps that isolate's invalidations and known versions. */
class EdgeSqlHandler implements EdgeHandler {
  readonly #fetch: typeof fetch
  readonly #cache: EdgeCache | undefined
  readonly #maxEntryBytes: number
  readonly #invalidations = new Invalidations()
  readonly #verified = new VerifiedCallers()
  readonly #versions: VersionBook

  constructor(
    private readonly config: EdgeConfig,
    options: EdgeHandlerOptions,
  ) {
    const fetcher = options.fetch ?? ((input, init) => fetch(input, init))
    this.#fetch = fetcher
    this.#cache = options.cache === false ? undefined : options.cache
    this.#maxEntryBytes = options.maxEntryBytes ?? 1 << 20
    this.#versions = new VersionBook(config.versionTtl, (_db, tables, auth) =>
      getVersions(config, fetcher, tables, auth),
    )
  }

  async fetch(request: Request, ctx?: WaitUntil): Promise<Response> {
    const path = new URL(request.url).pathname
    if (path === '/sql' && request.method === 'OPTIONS')
      return new Response(null, { status: 204, headers: CORS_HEADERS })
    if (path === '/sql') return this.sql(request, ctx)
    if (path === '/invalidate' && request.method === 'POST') return this.#invalidateRoute(request)
    if (path === '/health') return Response.json({ ok: true, service: 'skiff-edge' })
    return errorResponse(
      404,
      `not found: the Skiff edge serves POST /sql, POST /invalidate and GET /health, not ${path}`,
      '08P01',
    )
  }

  invalidate(tag: string, database?: string): void {
    this.#invalidations.invalidate(tag, database)
  }

  recheckVersions(database?: string): void {
    this.#versions.forget(database)
  }

  async sql(request: Request, ctx?: WaitUntil): Promise<Response> {
    if (request.method !== 'POST') return errorResponse(405, 'use POST for /sql', '08P01')
    const body = await request.text()
    let policy: CachePolicy
    try {
      policy = cachePolicy(request.headers, this.config)
    } catch (err) {
      if (err instanceof CacheControlError) return errorResponse(400, err.message, '22023')
      throw err
    }
    const caller = await callerOf(request.headers)
    const cached = this.#cache !== undefined && caller !== undefined && !policy.noStore
    const key = cached ? await cacheKey(caller, body, request.headers) : undefined
    if (caller === undefined || key === undefined) {
      const r = await this.#forward(request.headers, body, caller)
      return respond(r.status, r.text, r.headers, 'BYPASS')
    }
    return this.#cachedSql({ headers: request.headers, body, caller, key, policy }, ctx)
  }

  /**
   * `POST /invalidate {"tags": ["x", "public.t"]}`: `invalidate(tag)` for the caller's database, for
   * callers of the ready Worker. The caller proves itself as on `/sql` (Skiff runs `select 1` with its
   * credentials), so no one without a login can flush the cache.
   */
  async #invalidateRoute(request: Request): Promise<Response> {
    const caller = await callerOf(request.headers)
    let tags: unknown
    try {
      tags = ((await request.json()) as { tags?: unknown }).tags
    } catch {
      tags = undefined
    }
    if (!Array.isArray(tags) || tags.length === 0 || !tags.every((t) => typeof t === 'string' && t !== ''))
      return errorResponse(400, 'send {"tags": ["tag", …]}: a non-empty list of strings', '22023')
    if (caller === undefined) return errorResponse(400, 'missing Neon-Connection-String header', '08P01')
    const probe = JSON.stringify({ query: 'select 1', params: [] })
    const res = await postSql(this.config, this.#fetch, request.headers, probe)
    if (res.status !== 200)
      return respond(res.status, await res.text(), keptResponseHeaders(res.headers), 'BYPASS')
    this.#verified.accept(caller)
    for (const tag of tags as string[]) this.#invalidations.invalidate(tag, caller.database)
    return Response.json({ invalidated: tags, database: caller.database })
  }

  /** A cacheable request: a fresh hit, a stale hit refreshed after the response, or a miss stored. */
  async #cachedSql(q: CachedRequest, ctx?: WaitUntil): Promise<Response> {
    const servable = !q.policy.noCache && this.#verified.isVerified(q.caller)
    let hit = servable ? await this.#lookup(q.caller, q.key, q.headers) : undefined
    if (hit !== undefined && !coversBookmark(hit.meta.lsn, q.headers.get('Skiff-Lsn'))) hit = undefined
    if (hit !== undefined) {
      const age = Date.now() - hit.meta.readAt
      if (age <= hit.meta.maxAge * 1000) return respond(200, hit.body, hit.headers, 'HIT', age)
      if (ctx !== undefined) {
        // Served stale now, refreshed after the response; without waitUntil it is a plain miss.
        const refresh = this.#forward(q.headers, q.body, q.caller).then((r) => this.#store(q, r))
        ctx.waitUntil(refresh.catch(() => undefined))
        return respond(200, hit.body, hit.headers, 'STALE', age)
      }
    }
    const r = await this.#forward(q.headers, q.body, q.caller)
    await this.#store(q, r)
    return respond(r.status, r.text, r.headers, 'MISS')
  }

  /** An entry that may still be served: in its window, not invalidated here, not behind Skiff's versions. */
  async #lookup(caller: Caller, key: string, headers: Headers): Promise<CachedEntry | undefined> {
    const hit = await this.#cache?.get(key).catch(() => undefined)
    if (hit === undefined) return undefined
    const { meta } = hit
    if (Date.now() - meta.readAt > (meta.maxAge + meta.staleWhileRevalidate) * 1000) return undefined
    if (this.#invalidations.isStale(caller.database, meta)) return undefined
    if (await this.#versions.isOutdated(caller.database, meta.versions, headers)) return undefined
    return hit
  }

  /** Forwards; learns from the answer (an accepted caller, the writes it made). */
  async #forward(headers: Headers, body: string, caller?: Caller): Promise<Upstream> {
    const readAt = Date.now()
    const res = await postSql(this.config, this.#fetch, headers, body)
    const text = await res.text()
    if (caller !== undefined && res.status === 200) this.#verified.accept(caller)
    if (caller !== undefined) this.#noteWrites(caller.database, res)
    return { status: res.status, text, headers: keptResponseHeaders(res.headers), readAt, raw: res.headers }
  }

  /** Stores a 200 Skiff marked cacheable, with the tables and versions it read. */
  async #store(q: CachedRequest, r: Upstream): Promise<void> {
    if (this.#cache === undefined || r.status !== 200 || r.raw.get('Skiff-Cacheable') !== 'true') return
    if (r.text.length > this.#maxEntryBytes) return
    const { maxAge, staleWhileRevalidate, tags } = q.policy
    const meta: EntryMeta = {
      readAt: r.readAt,
      maxAge,
      staleWhileRevalidate,
      tables: parseTableList(r.raw.get('Skiff-Tables')) ?? [],
      tags,
      versions: parseVersions(r.raw.get('Skiff-Table-Versions')) ?? {},
    }
    const lsn = r.raw.get('Skiff-Lsn')
    if (lsn !== null) meta.lsn = lsn
    const entry = { body: r.text, headers: r.headers, meta }
    // Awaited, not left to waitUntil: the next request of this caller must find it (a local write).
    await this.#cache.put(q.key, entry, maxAge + staleWhileRevalidate).catch(() => undefined)
  }

  /**
   * A write through this isolate invalidates its tables at once. Skiff sends `Skiff-Writes` on every
   * classified answer (empty when nothing was written) and leaves it out when the targets are unknown:
   * then a succeeded request that was not read-only invalidates the whole database.
   */
  #noteWrites(database: string, res: Response): void {
    const writes = parseTableList(res.headers.get('Skiff-Writes'))
    if (writes === undefined) {
      if (res.status !== 200 || res.headers.get('Skiff-Read-Only') === 'true') return
      this.#invalidations.invalidateDatabase(database)
      this.#versions.forget(database)
      return
    }
    if (writes.length === 0) return
    for (const t of writes) this.#invalidations.invalidate(t, database)
    this.#versions.forget(database, writes)
  }
}

/** A cacheable request, read once. */
interface CachedRequest {
  headers: Headers
  body: string
  caller: Caller
  key: string
  policy: CachePolicy
}

/** Builds the handler around a config (see `fromEnv`). */
export function createEdgeHandler(config: EdgeConfig, options: EdgeHandlerOptions = {}): EdgeHandler {
  return new EdgeSqlHandler(config, options)
}
