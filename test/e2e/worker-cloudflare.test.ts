/**
 * The Cloudflare Worker (worker-adapters/src/cloudflare, bundled with esbuild as wrangler would) in
 * workerd through miniflare, serving an edge `/sql` in front of a real Skiff, with its read cache in
 * the Workers Cache API. A counter in Postgres (a sequence a function bumps) proves which reads
 * reached Postgres. SKIFF_URL is Skiff's HTTP port: its Skiff-* cache headers decide what is cached,
 * and its `GET /versions` (table versions from logical replication) lets the Worker see a write made
 * with psql straight on Postgres.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { Miniflare } from 'miniflare'
import { bundle } from '../helpers/edge-bundle.js'
import { countedItems, type EdgeSkiff, startEdgeSkiff } from '../helpers/edge-skiff.js'
import type { TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

const READ = 'select i.id, i.v, c.n from edge_cf_items i, (select edge_cf_counted() as n) c order by i.id'

describe('Cloudflare Worker: edge /sql with the read cache (workerd)', () => {
  let skiff: EdgeSkiff
  let gw: TestGateway
  let mf: Miniflare
  let conn: string
  let counter: () => Promise<number>
  /** One /sql request through the Worker. */
  const sql = async (query: string, params: unknown[] = [], headers: Record<string, string> = {}) => {
    const res = await mf.dispatchFetch('http://edge.test/sql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Neon-Connection-String': conn, ...headers },
      body: JSON.stringify({ query, params }),
    })
    const json = (await res.json()) as { rows: Record<string, unknown>[]; code?: string }
    return { status: res.status, cache: res.headers.get('Skiff-Cache'), json }
  }

  before(async () => {
    const items = await countedItems('edge_cf', [
      [1, 'one'],
      [2, 'two'],
    ])
    counter = items.reads
    skiff = await startEdgeSkiff(['edge_cf_items'])
    gw = skiff.gw
    conn = gw.url('scram')
    mf = new Miniflare({
      modules: true,
      script: await bundle('worker-adapters/src/cloudflare/index.ts'),
      compatibilityDate: '2025-09-01',
      bindings: {
        SKIFF_URL: `http://127.0.0.1:${gw.httpPort}`,
        SKIFF_VERSION_TTL: '1',
        SKIFF_CACHE_MAX_AGE: '60',
      },
    })
  })
  after(async () => {
    await mf?.dispose()
    await skiff?.stop()
  })

  it('serves the second identical cacheable read from the cache (Postgres is not asked)', async () => {
    const before = await counter()
    const first = await sql(READ)
    assert.equal(first.status, 200, JSON.stringify(first.json))
    assert.equal(first.cache, 'MISS')
    const second = await sql(`${READ.replace(/ /g, '  ')}  `)
    assert.equal(second.cache, 'HIT')
    assert.deepStrictEqual(second.json.rows, first.json.rows)
    assert.equal(await counter(), before + 1, 'only the first read reached Postgres')
  })

  it('a wrong password never reads a cached entry', async () => {
    await sql(READ)
    const wrong = conn.replace(/:[^:@]+@/, ':not-the-password@')
    const res = await sql(READ, [], { 'Neon-Connection-String': wrong })
    assert.equal(res.status, 400)
    assert.equal(res.json.code, '28P01')
  })

  it('a write through the Worker invalidates the tables it wrote at once', async () => {
    assert.equal((await sql(READ)).cache, 'HIT')
    const w = await sql('update edge_cf_items set v = $1 where id = 1', ['uno'])
    assert.equal(w.status, 200, JSON.stringify(w.json))
    await skiff.settle('edge_cf_items')
    const before = await counter()
    const after = await sql(READ)
    assert.equal(after.cache, 'MISS')
    assert.equal(after.json.rows[0]?.v, 'uno')
    assert.equal(await counter(), before + 1)
  })

  it('a write made with psql straight on Postgres is seen within version_ttl + 1 s', async () => {
    assert.equal((await sql(READ)).cache, 'HIT')
    const t = topology()
    const su = t.users.superuser
    await promisify(execFile)(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(t.primary.port),
        '-U',
        su.username,
        '-d',
        t.database,
        '-c',
        "update edge_cf_items set v = 'eins' where id = 1",
      ],
      { env: { ...process.env, PGPASSWORD: su.password } },
    )
    const wroteAt = Date.now()
    let seen: Awaited<ReturnType<typeof sql>> | undefined
    while (Date.now() - wroteAt < 2000) {
      const r = await sql(READ)
      if (r.json.rows[0]?.v === 'eins') {
        seen = r
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(seen, 'the cached read still showed the old row 2 s after the write')
    assert.equal(seen.cache, 'MISS')
    assert.ok(Date.now() - wroteAt <= 2000)
    assert.equal((await sql(READ)).cache, 'HIT', 'the fresh answer is cached again')
  })

  it('never caches a write or a now() read', async () => {
    const before = await counter()
    const timeRead = 'select now() as t, edge_cf_counted() as n'
    const a = await sql(timeRead)
    const b = await sql(timeRead)
    assert.deepStrictEqual([a.cache, b.cache], ['MISS', 'MISS'])
    assert.notDeepStrictEqual(a.json.rows, b.json.rows)
    const insert = 'insert into edge_cf_items select max(id) + 1, $1 from edge_cf_items returning id'
    const w1 = await sql(insert, ['x'])
    const w2 = await sql(insert, ['x'])
    assert.deepStrictEqual([w1.cache, w2.cache], ['MISS', 'MISS'])
    assert.notDeepStrictEqual(w1.json.rows, w2.json.rows)
    assert.equal(await counter(), before + 2)
    await skiff.settle('edge_cf_items')
  })

  it('Skiff-Cache-Control: no-store bypasses the cache; a bad directive is a 400', async () => {
    assert.equal((await sql(READ, [], { 'Skiff-Cache-Control': 'no-store' })).cache, 'BYPASS')
    const bad = await sql(READ, [], { 'Skiff-Cache-Control': 'max-age=soon' })
    assert.equal(bad.status, 400)
    assert.equal(bad.json.code, '22023')
  })

  it('POST /invalidate drops the entries of a caller tag, for a caller Skiff accepts', async () => {
    const tagged = { 'Skiff-Cache-Tags': 'items-list' }
    await sql(READ, [], tagged)
    assert.equal((await sql(READ, [], tagged)).cache, 'HIT')
    const invalidate = (connection: string) =>
      mf.dispatchFetch('http://edge.test/invalidate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Neon-Connection-String': connection },
        body: JSON.stringify({ tags: ['items-list'] }),
      })
    const refused = await invalidate(conn.replace(/:[^:@]+@/, ':wrong@'))
    assert.equal(refused.status, 400)
    assert.equal((await sql(READ, [], tagged)).cache, 'HIT', 'a refused caller invalidates nothing')
    assert.equal((await invalidate(conn)).status, 200)
    assert.equal((await sql(READ, [], tagged)).cache, 'MISS')
  })
})
