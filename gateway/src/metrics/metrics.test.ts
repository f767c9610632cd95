import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, test } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import { PoolRegistry } from '../pool/pool-registry.js'
import { ShapeCache } from '../sql/shape-cache.js'
import { ALL_METRICS } from './definitions.js'
import { renderMetricsReference } from './docs.js'
import { GatewayMetrics } from './gateway-metrics.js'
import { scrapeAllowed } from './scrape-auth.js'
import { Exposition } from './testing/exposition.js'

/** A gateway's metrics over pools built from the test config (no server is dialled). */
function setup(clients: { database: string; username: string; active?: boolean }[] = []) {
  const { config } = load({
    pools: { app: { users: { '1': { username: 'bob', password: 'bob_pw' } } } },
  })
  const pools = new PoolRegistry(buildPools(config), 'md5')
  const shapeCache = new ShapeCache({ secondOpinion: null })
  const metrics = new GatewayMetrics(
    {
      pools,
      clients: () => clients,
      connectionCount: () => clients.length + 1,
      preparedStatements: { size: 3 },
      shapeCache,
    },
    false,
  )
  return { pools, metrics, shapeCache }
}

async function scrape(metrics: GatewayMetrics): Promise<Exposition> {
  return new Exposition(await metrics.text())
}

function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return e.value(name, labels)
}

describe('metric definitions', () => {
  test('docs/metrics.md matches the definitions', async () => {
    const current = await readFile(new URL('../../../docs/metrics.md', import.meta.url), 'utf8').catch(
      () => '',
    )
    assert.ok(current === renderMetricsReference(), 'docs/metrics.md is stale: run `npm run metrics:docs`')
  })

  test('names are unique, skiff_-prefixed, and counters end in _total', () => {
    const names = ALL_METRICS.map((d) => d.name)
    assert.equal(new Set(names).size, names.length)
    for (const d of ALL_METRICS) {
      assert.match(d.name, /^skiff_[a-z_]+$/)
      assert.equal(d.name.endsWith('_total'), d.type === 'counter', d.name)
    }
  })

  test('the registry exports exactly the defined metrics, with their types', async () => {
    const { families } = await scrape(setup().metrics)
    const defined = new Map(ALL_METRICS.map((d) => [d.name, d.type]))
    assert.deepEqual([...families.keys()].sort(), [...defined.keys()].sort())
    for (const [name, family] of families) assert.equal(family.type.toLowerCase(), defined.get(name))
  })
})

describe('values read at scrape time', () => {
  test('server counters follow the pools’ counters, per (database, user, server)', async () => {
    const { pools, metrics } = setup()
    const sp = [...pools.get('app', 'alice')!.serverPools()][0]!
    const labels = { database: 'app', user: 'alice', shard: '0', role: 'primary', server: '127.0.0.1:5432' }
    let families = await scrape(metrics)
    assert.equal(value(families, 'skiff_server_transactions_total', labels), 0)
    sp.stats.xactCount += 4
    sp.stats.queryCount += 7
    sp.stats.bytesReceived += 1000
    sp.stats.recordCheckout(250_000)
    sp.stats.checkoutErrors++
    sp.health.ban('test', Date.now())
    families = await scrape(metrics)
    assert.equal(value(families, 'skiff_server_transactions_total', labels), 4)
    assert.equal(value(families, 'skiff_server_queries_total', labels), 7)
    assert.equal(value(families, 'skiff_server_received_bytes_total', labels), 1000)
    assert.equal(value(families, 'skiff_server_checkouts_total', labels), 1)
    assert.equal(value(families, 'skiff_server_wait_seconds_total', labels), 0.25)
    assert.equal(value(families, 'skiff_server_wait_max_seconds', labels), 0.25)
    assert.equal(value(families, 'skiff_server_checkout_errors_total', labels), 1)
    assert.equal(value(families, 'skiff_server_banned', labels), 1)
    assert.equal(value(families, 'skiff_server_bans_total', labels), 1)
    // bob's pool has its own server pool on the same server, untouched.
    assert.equal(value(families, 'skiff_server_transactions_total', { ...labels, user: 'bob' }), 0)
    assert.equal(value(families, 'skiff_server_banned', { ...labels, user: 'bob' }), 0)
  })

  test('clients by state and gateway-wide figures', async () => {
    const clients = [
      { database: 'app', username: 'alice', active: true },
      { database: 'app', username: 'alice' },
      { database: 'app', username: 'bob' },
    ]
    const { metrics, shapeCache } = setup(clients)
    shapeCache.counters.hits = 5
    shapeCache.counters.misses = 2
    metrics.websockets.opened = 3
    metrics.websockets.open = 1
    metrics.http.observe('/sql', 'POST', 200, 0.003)
    metrics.http.observe('/wp-login.php', 'PROPFIND', 404, 0.001)
    const f = await scrape(metrics)
    assert.equal(value(f, 'skiff_pool_clients', { user: 'alice', state: 'active' }), 1)
    assert.equal(value(f, 'skiff_pool_clients', { user: 'alice', state: 'idle' }), 1)
    assert.equal(value(f, 'skiff_pool_clients', { user: 'alice', state: 'waiting' }), 0)
    assert.equal(value(f, 'skiff_pool_clients', { user: 'bob', state: 'idle' }), 1)
    assert.equal(value(f, 'skiff_client_connections'), 4)
    assert.equal(value(f, 'skiff_prepared_statements'), 3)
    assert.equal(value(f, 'skiff_shape_cache_hits_total'), 5)
    assert.equal(value(f, 'skiff_shape_cache_misses_total'), 2)
    assert.equal(value(f, 'skiff_websocket_connections_total'), 3)
    assert.equal(value(f, 'skiff_websocket_connections'), 1)
    const sql = { route: '/sql', method: 'POST', status_class: '2xx' }
    assert.equal(value(f, 'skiff_http_requests_total', sql), 1)
    assert.equal(f.histogramCount('skiff_http_request_duration_seconds', sql), 1)
    // An unknown path and method fall into `other`: a scanner cannot grow the series.
    const other = { route: 'other', method: 'other', status_class: '4xx' }
    assert.equal(value(f, 'skiff_http_requests_total', other), 1)
  })

  test('two gateways in one process keep their own registries', async () => {
    const a = setup()
    const b = setup()
    a.metrics.websockets.opened = 9
    assert.equal(value(await scrape(b.metrics), 'skiff_websocket_connections_total'), 0)
    assert.equal(value(await scrape(a.metrics), 'skiff_websocket_connections_total'), 9)
  })
})

describe('scrape auth on the HTTP listener', () => {
  const admin = { username: 'admin', password: 'pa:ss' }
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`
  test('the admin login passes; anything else does not', () => {
    assert.equal(scrapeAllowed(basic('admin:pa:ss'), admin), true)
    assert.equal(scrapeAllowed(basic('admin:pa:sx'), admin), false)
    assert.equal(scrapeAllowed(basic('admim:pa:ss'), admin), false)
    assert.equal(scrapeAllowed(basic('admin'), admin), false)
    assert.equal(scrapeAllowed(undefined, admin), false)
    assert.equal(scrapeAllowed('Bearer xyz', admin), false)
  })
})

describe('the tests’ exposition check', () => {
  test('refuses what the lenient parser lets through', () => {
    assert.throws(() => new Exposition('x 1\n'), /before its # TYPE/)
    assert.throws(() => new Exposition('# TYPE x counter\nx abc\n'), /not a number/)
    assert.throws(() => new Exposition('# TYPE x counter\nx{a="b} 1\n'), /malformed/)
    assert.throws(() => new Exposition('# TYPE x blah\nx 1\n'), /unknown type/)
    assert.equal(new Exposition('# TYPE x_total counter\nx_total{a="q\\"b"} 2\n').value('x_total'), 2)
  })
})
