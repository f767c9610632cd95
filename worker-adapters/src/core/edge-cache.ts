/**
 * Where cached `/sql` responses live: the Workers Cache API (`caches.default`, shared by the isolates
 * of one Cloudflare data center) or an in-memory map (one isolate: Vercel Edge, tests).
 * @see https://developers.cloudflare.com/workers/runtime-apis/cache/
 * @module
 */

/** What is known about a cached read besides its body. */
export interface EntryMeta {
  /** Epoch ms when the request that produced it was sent to Skiff (before its data was read). */
  readAt: number
  maxAge: number
  staleWhileRevalidate: number
  /** Tables it read (`Skiff-Tables`). */
  tables: string[]
  /** Caller tags (`Skiff-Cache-Tags`). */
  tags: string[]
  /** `Skiff-Table-Versions` at the time of the read. */
  versions: Record<string, number>
  /** `Skiff-Lsn` of the answer: the read includes at least this position (see read-your-writes.ts). */
  lsn?: string
}

/** A cached 200 response. */
export interface CachedEntry {
  body: string
  /** The upstream response headers kept (content type, `Skiff-*`). */
  headers: [string, string][]
  meta: EntryMeta
}

/** A store of entries by key; entries may vanish at any time (eviction), never appear unasked. */
export interface EdgeCache {
  get(key: string): Promise<CachedEntry | undefined>
  /** Keeps the entry at most `ttlSeconds` (max-age + stale-while-revalidate). */
  put(key: string, entry: CachedEntry, ttlSeconds: number): Promise<void>
  delete(key: string): Promise<void>
}

/** An in-memory cache of at most `maxEntries` entries (the oldest stored is dropped first). */
export function memoryCache(maxEntries = 1000): EdgeCache {
  const map = new Map<string, { entry: CachedEntry; expires: number }>()
  return {
    async get(key) {
      const hit = map.get(key)
      if (hit === undefined) return undefined
      if (hit.expires <= Date.now()) {
        map.delete(key)
        return undefined
      }
      return hit.entry
    },
    async put(key, entry, ttlSeconds) {
      map.delete(key)
      map.set(key, { entry, expires: Date.now() + ttlSeconds * 1000 })
      while (map.size > maxEntries) map.delete(map.keys().next().value as string)
    },
    async delete(key) {
      map.delete(key)
    },
  }
}

/** The part of the Workers `Cache` interface used here (typed without the DOM/Workers libs). */
export interface WorkersCacheLike {
  match(request: string): Promise<Response | undefined>
  put(request: string, response: Response): Promise<void>
  delete(request: string): Promise<boolean>
}

/** The header that carries {@link EntryMeta} on a response stored in the Cache API. */
const META = 'Skiff-Cache-Meta'

/**
 * The Workers Cache API. Keys are GET requests to `origin/<key>` (the Cache API stores only GETs);
 * `s-maxage` keeps an entry through its stale-while-revalidate window, since `cache.match()` returns
 * only fresh responses and does no revalidation itself; freshness is decided from {@link EntryMeta}.
 * @param cache Usually `caches.default`.
 * @param origin Any https origin; on Cloudflare the cache is per zone.
 */
export function workersCache(cache: WorkersCacheLike, origin = 'https://skiff-edge.cache'): EdgeCache {
  const url = (key: string) => `${origin}/sql/${key}`
  return {
    async get(key) {
      const res = await cache.match(url(key))
      if (res === undefined) return undefined
      const meta = res.headers.get(META)
      if (meta === null) return undefined
      const headers: [string, string][] = []
      res.headers.forEach((v: string, k: string) => {
        if (k !== META.toLowerCase() && k !== 'cache-control') headers.push([k, v])
      })
      return { body: await res.text(), headers, meta: JSON.parse(meta) as EntryMeta }
    },
    async put(key, entry, ttlSeconds) {
      const headers = new Headers(entry.headers)
      headers.set(META, JSON.stringify(entry.meta))
      const { maxAge, staleWhileRevalidate } = entry.meta
      headers.set(
        'Cache-Control',
        `public, max-age=${maxAge}, stale-while-revalidate=${staleWhileRevalidate}, s-maxage=${Math.ceil(ttlSeconds)}`,
      )
      await cache.put(url(key), new Response(entry.body, { status: 200, headers }))
    },
    async delete(key) {
      await cache.delete(url(key))
    },
  }
}
