/**
 * The edge cache's pure parts (worker-adapters/src/core): SQL normalization, the cache key, per-isolate
 * invalidation, the version book's TTL, Skiff-Cache-Control, bookmarks an entry covers; and stale-while-revalidate through the
 * handler with an upstream function standing in for Skiff (timing only; the e2e files use Skiff).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cacheKey, normalizeSql } from '../../worker-adapters/src/core/cache-key.js'
import { cachePolicy } from '../../worker-adapters/src/core/cache-policy.js'
import { callerOf } from '../../worker-adapters/src/core/caller.js'
import { readConfig } from '../../worker-adapters/src/core/config.js'
import { memoryCache } from '../../worker-adapters/src/core/edge-cache.js'
import { createEdgeHandler } from '../../worker-adapters/src/core/handler.js'
import { Invalidations } from '../../worker-adapters/src/core/invalidations.js'
import { coversBookmark } from '../../worker-adapters/src/core/read-your-writes.js'
import { parseTableList, parseVersions, VersionBook } from '../../worker-adapters/src/core/versions.js'

const id = { user: 'app', database: 'appdb', params: '[]' }
const config = readConfig({ SKIFF_URL: 'http://skiff.test/sql/' })

describe('edge cache core', () => {
  it('normalizes whitespace outside quotes only, and leaves risky text as sent', () => {
    assert.equal(normalizeSql('  select\n  1,\t2  '), 'select 1, 2')
    assert.equal(normalizeSql('select \'a   b\'  ,  "x  y"'), 'select \'a   b\' , "x  y"')
    for (const risky of ['select 1 -- c\n, 2', "select E'a\\'  b'", 'select $$a  b$$', 'select /* a  b */ 1'])
      assert.equal(normalizeSql(risky), risky)
  })

  it('keys on user, database, connection params, SQL, params and routing headers, never the credential', async () => {
    const body = JSON.stringify({ query: 'select $1', params: [1] })
    const h = new Headers()
    const k = await cacheKey(id, body, h)
    assert.equal(await cacheKey(id, JSON.stringify({ query: ' select  $1 ', params: [1] }), h), k)
    assert.notEqual(await cacheKey(id, JSON.stringify({ query: 'select $1', params: ['1'] }), h), k)
    assert.notEqual(await cacheKey({ ...id, user: 'other' }, body, h), k)
    assert.notEqual(await cacheKey({ ...id, params: '[["options","-c search_path=x"]]' }, body, h), k)
    assert.notEqual(await cacheKey(id, body, new Headers({ 'Skiff-Role': 'replica' })), k)
    assert.notEqual(await cacheKey(id, body, new Headers({ 'Neon-Array-Mode': 'true' })), k)
    assert.equal(await cacheKey(id, body, new Headers({ Authorization: 'Bearer t' })), k)
    assert.equal(await cacheKey(id, 'not json', h), undefined)
  })

  it('invalidates by table, caller tag, database, and only entries read before', () => {
    const inv = new Invalidations()
    const meta = {
      readAt: 1000,
      maxAge: 60,
      staleWhileRevalidate: 0,
      tables: ['public.t'],
      tags: ['x'],
      versions: {},
    }
    inv.invalidate('public.t', 'other', 2000)
    assert.equal(inv.isStale('appdb', meta), false)
    inv.invalidate('public.t', 'appdb', 999)
    assert.equal(inv.isStale('appdb', meta), false, 'an invalidation before the read does not count')
    inv.invalidate('x', undefined, 1000)
    assert.equal(inv.isStale('appdb', meta), true, 'a caller tag in every database; a race counts as stale')
    const inv2 = new Invalidations()
    inv2.invalidateDatabase('appdb', 1500)
    assert.equal(inv2.isStale('appdb', meta), true)
  })

  it('asks Skiff for versions at most once per TTL and shares concurrent asks', async () => {
    let asks = 0
    let current = 5
    const book = new VersionBook(200, async (_db, tables) => {
      asks++
      return Object.fromEntries(tables.map((t) => [t, current]))
    })
    const h = new Headers()
    const results = await Promise.all([1, 2, 3].map(() => book.isOutdated('db', { 'public.t': 5 }, h)))
    assert.deepStrictEqual(results, [false, false, false])
    assert.equal(asks, 1)
    current = 6
    assert.equal(await book.isOutdated('db', { 'public.t': 5 }, h), false, 'within the TTL')
    await new Promise((r) => setTimeout(r, 220))
    assert.equal(await book.isOutdated('db', { 'public.t': 5 }, h), true)
    assert.equal(asks, 2)
    assert.deepStrictEqual(parseVersions('public.t=42, public.u=7'), { 'public.t': 42, 'public.u': 7 })
    assert.equal(parseVersions('public.t=x'), undefined)
  })

  it('decodes the percent-encoded names of Skiff-Tables, Skiff-Writes and Skiff-Table-Versions', () => {
    // Skiff percent-encodes each name, so a quoted name may hold a comma or an equals sign.
    assert.deepStrictEqual(parseTableList('public.t,public.%22Odd%2C%20name%22'), [
      'public.t',
      'public."Odd, name"',
    ])
    assert.deepStrictEqual(parseTableList(''), [], 'a read names no writes')
    assert.equal(parseTableList(null), undefined)
    assert.equal(parseTableList('public.%E0%A4%A'), undefined, 'bad percent-encoding: tables unknown')
    assert.deepStrictEqual(parseVersions('public.a%3Db=3'), { 'public.a=b': 3 })
  })

  it('reads Skiff-Cache-Control over the defaults', () => {
    const p = cachePolicy(
      new Headers({
        'Skiff-Cache-Control': 'max-age=5, stale-while-revalidate=7',
        'Skiff-Cache-Tags': 'a, b',
      }),
      config,
    )
    assert.deepStrictEqual([p.maxAge, p.staleWhileRevalidate, p.tags, p.noStore], [5, 7, ['a', 'b'], false])
    assert.equal(cachePolicy(new Headers({ 'Skiff-Cache-Control': 'max-age=0' }), config).noStore, true)
    assert.throws(() => cachePolicy(new Headers({ 'Skiff-Cache-Control': 'forever' }), config), /unknown/)
    assert.throws(() => readConfig({ SKIFF_URL: 'ftp://x' }), /http/)
    assert.throws(() => readConfig({}), /SKIFF_URL is not set/)
  })

  it('serves a read past max-age within stale-while-revalidate and refreshes it after the response', async () => {
    let calls = 0
    const upstream = (async () => {
      calls++
      return new Response(JSON.stringify({ rows: [{ n: calls }] }), {
        headers: { 'Skiff-Read-Only': 'true', 'Skiff-Cacheable': 'true', 'Skiff-Tables': 'public.t' },
      })
    }) as typeof fetch
    const handler = createEdgeHandler(config, { cache: memoryCache(), fetch: upstream })
    const pending: Promise<unknown>[] = []
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) }
    const req = () =>
      new Request('http://edge/sql', {
        method: 'POST',
        headers: {
          'Neon-Connection-String': 'postgres://app:pw@x/appdb',
          'Skiff-Cache-Control': 'max-age=0, stale-while-revalidate=30',
        },
        body: JSON.stringify({ query: 'select n from t', params: [] }),
      })
    assert.equal((await handler.sql(req(), ctx)).headers.get('Skiff-Cache'), 'MISS')
    await Promise.all(pending)
    await new Promise((r) => setTimeout(r, 5))
    const stale = await handler.sql(req(), ctx)
    assert.equal(stale.headers.get('Skiff-Cache'), 'STALE')
    assert.deepStrictEqual(((await stale.json()) as { rows: unknown }).rows, [{ n: 1 }])
    await Promise.all(pending)
    assert.equal(calls, 2, 'refreshed in the background')
    await new Promise((r) => setTimeout(r, 5))
    assert.deepStrictEqual(((await (await handler.sql(req(), ctx)).json()) as { rows: unknown }).rows, [
      { n: 2 },
    ])
  })

  it('serves a request carrying a bookmark only an entry read at or past it', () => {
    assert.equal(coversBookmark(undefined, null), true, 'no bookmark: any entry')
    assert.equal(coversBookmark(undefined, '0/16B3748'), false, 'an entry read at no known position')
    assert.equal(coversBookmark('0/16B3748', '0/16B3748'), true)
    assert.equal(coversBookmark('1/0', '0/FFFFFFFF'), true, 'compared as LSNs, not as text')
    assert.equal(coversBookmark('0/FFFFFFFF', '1/0'), false)
    assert.equal(coversBookmark('0/16B3748', 'soon'), false, 'an unreadable bookmark goes to Skiff (its 400)')
  })

  it('reads the caller from the connection string; a malformed one is left to Skiff', async () => {
    const c = await callerOf(
      new Headers({ 'Neon-Connection-String': 'postgres://app:p%40ss@h/appdb?application_name=x' }),
    )
    assert.deepStrictEqual([c?.user, c?.database, c?.params], ['app', 'appdb', '[["application_name","x"]]'])
    assert.ok(!JSON.stringify(c).includes('p@ss'), 'only a digest of the password is kept')
    assert.equal(
      await callerOf(new Headers({ 'Neon-Connection-String': 'postgres://a%zz:p@h/db' })),
      undefined,
    )
    assert.equal(await callerOf(new Headers()), undefined)
  })
})

describe('adapter entries', () => {
  it('./cloudflare and ./vercel export the same names, the SDK error among them', async () => {
    const cloudflare = await import('../../worker-adapters/src/cloudflare/index.js')
    const vercel = await import('../../worker-adapters/src/vercel/index.js')
    assert.deepEqual(Object.keys(cloudflare).sort(), Object.keys(vercel).sort())
    for (const name of ['fromEnv', 'createHandler', 'default', 'SkiffError', 'isSkiffError', 'memoryCache'])
      assert.ok(name in cloudflare, name)
    assert.equal(cloudflare.EdgeQueryError, cloudflare.SkiffError)
  })
})
