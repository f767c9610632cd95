/**
 * `fromEnv(env)` of `@skiff/worker-adapters/cloudflare` inside a Worker script, bundled with esbuild
 * and run in workerd (miniflare) against a real Skiff with replicas: it is the client SDK's client
 * (tagged template, `.replica()`, `batch`, `transaction` over WebSocket, SkiffErrors) whose HTTP
 * requests go through the edge handler in-process, so a repeated cacheable read is a cache hit (a
 * Postgres sequence bumped by the read proves it was not run again) and says so in `result.cache`.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { pgClient } from '../helpers/clients.js'
import { bundle } from '../helpers/edge-bundle.js'
import { countedItems, type EdgeSkiff, skiffBindings, startEdgeSkiff } from '../helpers/edge-skiff.js'
import { directUrl } from '../helpers/topology.js'

const cloudflareEntry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../worker-adapters/src/cloudflare/index.ts',
)

/** A Worker whose routes each exercise one part of the client `fromEnv(env)` returns. */
const WORKER = `
import { fromEnv, isSkiffError } from ${JSON.stringify(cloudflareEntry)}
let db
let slow
const READ = 'select v, edge_fe_counted() as n from edge_fe_items where id = $1'
const ops = {
  shape: async () => ({ callable: typeof db, members: ['query', 'batch', 'transaction', 'replica', 'fetch', 'invalidate', 'connectionString'].filter((k) => typeof db[k] === 'function') }),
  template: async () => db\`select \${41}::int + 1 as n, \${'a b'}::text as s\`,
  replica: async () => ({ replica: await db.replica()\`select pg_is_in_recovery() as r\`, primary: await db.primary()\`select pg_is_in_recovery() as r\` }),
  batch: async () => (await db.primary().batch([db.sql\`select \${1}::int as a\`, db.sql\`select v from edge_fe_items where id = \${1}\`])).map((r) => r.rows),
  cached: async () => {
    const r = await db.primary().query(READ, [1], { cache: { tags: ['fe-items'] } })
    return { rows: r.rows, cache: r.cache, bookmark: db.bookmark() ?? null }
  },
  stale: async (ctx) => {
    const o = { cache: { maxAge: 0, staleWhileRevalidate: 60 } }
    const withCtx = await db.withContext(ctx).primary().query(READ, [2], o)
    const without = await db.primary().query(READ, [2], o)
    return [withCtx.cache, without.cache]
  },
  invalidate: async () => { db.invalidate('fe-items'); return { ok: true } },
  error: async () => {
    try { await db\`select * from edge_fe_no_such_table\`; return { thrown: false } }
    catch (e) { return { thrown: true, skiff: isSkiffError(e), name: e.name, code: e.code, message: e.message } }
  },
  transaction: async () => {
    try {
      const rows = await db.primary().transaction(async (tx) => {
        await tx\`insert into edge_fe_items values (\${100}, 'tx')\`
        return tx\`select v from edge_fe_items where id = \${100}\`
      })
      return { rows }
    } catch (e) { return { thrown: true, skiff: isSkiffError(e), code: e.code, message: e.message } }
  },
  // Versions asked at most once a minute, and a reader without the writer's bookmark (another
  // request of the isolate): only the transaction's own signal can make its write seen at once.
  txRecheck: async (_ctx, env) => {
    slow ??= fromEnv({ ...env, SKIFF_VERSION_TTL: '60' })
    const reader = slow.withBookmark(undefined).primary()
    const read = async () => {
      const r = await reader.query(READ, [3], { cache: { maxAge: 60 } })
      return { v: r.rows[0].v, cache: r.cache }
    }
    const seen = [await read(), await read()]
    await slow.primary().transaction(async (tx) => { await tx\`update edge_fe_items set v = 'three after tx' where id = 3\` })
    seen.push(await read())
    return seen
  },
}
export default {
  async fetch(request, env, ctx) {
    db ??= fromEnv(env)
    const op = ops[new URL(request.url).pathname.slice(1)]
    if (op === undefined) return new Response('no such op', { status: 404 })
    return Response.json(await op(ctx, env))
  },
}
`

describe('fromEnv(env) in a Cloudflare Worker is the client SDK over the edge handler (workerd)', () => {
  let skiff: EdgeSkiff
  let mf: Miniflare
  /** The JSON a route answered (its shape is the route's: see WORKER). */
  // biome-ignore lint/suspicious/noExplicitAny: each route answers its own JSON shape
  const call = async (op: string): Promise<any> => (await mf.dispatchFetch(`http://app.test/${op}`)).json()
  let counter: () => Promise<number>

  before(async () => {
    const items = await countedItems('edge_fe', [
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ])
    counter = items.reads
    skiff = await startEdgeSkiff(['edge_fe_items'], { replicas: true })
    mf = new Miniflare({
      modules: true,
      script: await bundle('.', WORKER),
      compatibilityDate: '2025-09-01',
      bindings: skiffBindings(skiff.gw, { SKIFF_VERSION_TTL: '1' }),
    })
  })
  after(async () => {
    await mf?.dispose()
    await skiff?.stop()
  })

  it('is a callable SDK client with the adapter members (the old query-only client was not)', async () => {
    assert.deepStrictEqual(await call('shape'), {
      callable: 'function',
      members: ['query', 'batch', 'transaction', 'replica', 'fetch', 'invalidate', 'connectionString'],
    })
  })

  it('runs a tagged template with bound values, parsed as the SDK parses them', async () => {
    assert.deepStrictEqual(await call('template'), [{ n: 42, s: 'a b' }])
  })

  it('.replica() lands where pg_is_in_recovery() is true, .primary() where it is false', async () => {
    assert.deepStrictEqual(await call('replica'), { replica: [{ r: true }], primary: [{ r: false }] })
  })

  it('runs a batch in one request', async () => {
    assert.deepStrictEqual(await call('batch'), [[{ a: 1 }], [{ v: 'one' }]])
  })

  it('serves the repeated cacheable read from the edge cache (result.cache), until invalidate(tag)', async () => {
    const before = await counter()
    const first = await call('cached')
    assert.equal(first.cache, 'MISS', JSON.stringify(first))
    const second = await call('cached')
    assert.equal(second.cache, 'HIT')
    assert.deepStrictEqual(second.rows, first.rows)
    assert.equal(await counter(), before + 1, 'only the first read reached Postgres')
    await call('invalidate')
    assert.equal((await call('cached')).cache, 'MISS')
    assert.equal(await counter(), before + 2)
  })

  it('withContext(ctx) serves an entry past max-age within stale-while-revalidate as STALE', async () => {
    assert.deepStrictEqual(await call('stale'), ['MISS', 'MISS'], 'nothing stored yet, then past max-age=0')
    assert.deepStrictEqual(
      await call('stale'),
      ['STALE', 'MISS'],
      'only a client with a ctx can refresh later',
    )
  })

  it('an SQL error is a SkiffError with its SQLSTATE', async () => {
    const e = await call('error')
    assert.deepStrictEqual(
      { thrown: e.thrown, skiff: e.skiff, name: e.name, code: e.code },
      { thrown: true, skiff: true, name: 'SkiffError', code: '42P01' },
    )
    assert.match(e.message, /edge_fe_no_such_table/)
  })

  it('transaction() runs over a WebSocket to SKIFF_URL from inside workerd', async () => {
    assert.deepStrictEqual(await call('transaction'), { rows: [{ v: 'tx' }] })
    await using su = await pgClient(directUrl())
    const { rows } = await su.query('select v from edge_fe_items where id = 100')
    assert.deepStrictEqual(rows, [{ v: 'tx' }], 'committed')
  })

  it('after the transaction the bookmark keeps reads fresh, and an entry read at it is a hit again', async () => {
    await skiff.settle('edge_fe_items')
    const first = await call('cached')
    assert.match(first.bookmark, /^[0-9A-F]+\/[0-9A-F]+$/, 'the transaction left a bookmark')
    assert.equal(first.cache, 'MISS', 'the entry from before the transaction is not served')
    assert.equal((await call('cached')).cache, 'HIT', 'the entry read at the bookmark covers it')
  })

  it("a transaction()'s write is seen at once by the isolate's other readers, not after version_ttl", async () => {
    assert.deepStrictEqual(await call('txRecheck'), [
      { v: 'three', cache: 'MISS' },
      { v: 'three', cache: 'HIT' },
      { v: 'three after tx', cache: 'MISS' },
    ])
  })
})
