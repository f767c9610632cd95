/**
 * Prometheus metrics (issue 21, acceptance 6): `/metrics` on the exporter port and on the HTTP listener
 * parses as the Prometheus text format, and its counters move with traffic through TCP, HTTP and
 * WebSocket; an unreachable server shows as banned.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { neon, Pool } from '@neondatabase/serverless'
import { ALL_METRICS } from '../../gateway/src/metrics/definitions.js'
import { Exposition } from '../../gateway/src/metrics/testing/exposition.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { useGateway } from '../helpers/neon.js'
import { topology } from '../helpers/topology.js'

const EXPORTER = 'enable_prometheus_exporter = true\nprometheus_exporter_port = 0'
const ADMIN = `Basic ${Buffer.from('skiff_admin:skiff_admin_pw').toString('base64')}`

async function scrapeExporter(gw: TestGateway): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${gw.gateway.metricsPort}/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return new Exposition(await res.text())
}

async function scrapeHttp(gw: TestGateway): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`, { headers: { Authorization: ADMIN } })
  assert.equal(res.status, 200)
  return new Exposition(await res.text())
}

/** Scrapes until `ok` holds (check-in and close run just after the client saw its reply). */
async function until(scrape: () => Promise<Exposition>, ok: (e: Exposition) => boolean): Promise<Exposition> {
  const deadline = Date.now() + 5000
  for (;;) {
    const e = await scrape()
    if (ok(e) || Date.now() > deadline) return e
    await sleep(50)
  }
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const blocker = net.createServer().listen(0, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  const { port } = blocker.address() as net.AddressInfo
  await new Promise((r) => blocker.close(r))
  return port
}

describe('Prometheus /metrics', () => {
  let gw: TestGateway
  const t = topology()
  const scram = { user: t.users.scram.username }
  before(async () => {
    gw = await startTestGateway({ general: EXPORTER })
  })
  after(() => gw.stop())

  it('the exporter port serves every metric in the text format, unauthenticated; other paths are 404', async () => {
    assert.ok(gw.gateway.metricsPort !== undefined && gw.gateway.metricsPort > 0)
    const e = await scrapeExporter(gw)
    for (const d of ALL_METRICS) assert.match(e.text, new RegExp(`^# TYPE ${d.name} ${d.type}$`, 'm'), d.name)
    assert.ok(e.families.has('process_cpu_seconds_total'), 'prom-client default metrics')
    const server = `127.0.0.1:${t.primary.port}`
    assert.equal(e.value('skiff_server_banned', { ...scram, server, role: 'primary', shard: '0' }), 0)
    const other = await fetch(`http://127.0.0.1:${gw.gateway.metricsPort}/sql`)
    assert.equal(other.status, 404)
  })

  it('the HTTP listener serves /metrics to the admin only (HTTP Basic auth)', async () => {
    const url = `http://127.0.0.1:${gw.httpPort}/metrics`
    const anonymous = await fetch(url)
    assert.equal(anonymous.status, 401)
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /)
    const user = `Basic ${Buffer.from(`${t.users.scram.username}:${t.users.scram.password}`).toString('base64')}`
    assert.equal((await fetch(url, { headers: { Authorization: user } })).status, 401)
    const e = await scrapeHttp(gw)
    assert.deepEqual(
      [...e.families.keys()].filter((n) => n.startsWith('skiff_')).sort(),
      [...(await scrapeExporter(gw)).families.keys()].filter((n) => n.startsWith('skiff_')).sort(),
    )
  })

  it('transaction, query and byte counters move with queries over TCP; clients show by state', async () => {
    const before = await scrapeExporter(gw)
    const sum = (e: Exposition, name: string) => e.sum(name, scram)
    {
      await using client = await pgClient(gw.url('scram'))
      await client.query('BEGIN')
      for (let i = 0; i < 3; i++) await client.query('SELECT $1::int AS n', [i])
      await client.query('COMMIT')
      for (let i = 0; i < 4; i++) await client.query(`SELECT ${i} AS n, repeat('x', 1000)`)
      const during = await until(
        () => scrapeExporter(gw),
        (e) => e.value('skiff_pool_clients', { ...scram, state: 'idle' }) >= 1,
      )
      assert.equal(during.value('skiff_pool_clients', { ...scram, state: 'idle' }), 1)
      assert.ok(during.value('skiff_client_connections') >= 1)
    }
    const grew = (e: Exposition, name: string) => sum(e, name) - sum(before, name)
    const after = await until(
      () => scrapeExporter(gw),
      (e) => grew(e, 'skiff_server_transactions_total') >= 5,
    )
    assert.ok(grew(after, 'skiff_server_transactions_total') >= 5, 'one transaction block + 4 autocommits')
    assert.ok(grew(after, 'skiff_server_queries_total') >= 9)
    assert.ok(grew(after, 'skiff_server_checkouts_total') >= 5)
    assert.ok(grew(after, 'skiff_server_sent_bytes_total') > 0)
    assert.ok(grew(after, 'skiff_server_received_bytes_total') >= 4 * 1000, 'four rows of 1000 bytes')
    assert.ok(grew(after, 'skiff_server_transaction_seconds_total') > 0)
    assert.equal(after.value('skiff_pool_clients', { ...scram, state: 'active' }), 0)
    assert.ok(
      after.sum('skiff_server_connections', { ...scram, state: 'idle' }) >= 1,
      'the server went back idle',
    )
  })

  it('HTTP request counters and the duration histogram move with POST /sql', async () => {
    useGateway(gw)
    const labels = { route: '/sql', method: 'POST', status_class: '2xx' }
    const count = (e: Exposition) => e.sum('skiff_http_requests_total', labels)
    const before = count(await scrapeExporter(gw))
    const sql = neon(gw.url('scram'))
    await sql`SELECT 1 AS one`
    await sql`SELECT 2 AS two`
    await assert.rejects(sql`SELECT * FROM no_such_table_for_metrics`)
    const e = await scrapeExporter(gw)
    assert.equal(count(e) - before, 2)
    assert.ok(e.histogramCount('skiff_http_request_duration_seconds', labels) >= 2)
    assert.ok(e.sum('skiff_http_requests_total', { route: '/sql', status_class: '4xx' }) >= 1)
    // The admin's own scrapes are counted too, under /metrics.
    assert.ok(e.sum('skiff_http_requests_total', { route: '/metrics', status_class: '2xx' }) >= 1)
  })

  it('WebSocket connections: counted when opened, the open gauge falls when they close', async () => {
    useGateway(gw)
    const opened = (e: Exposition) => e.value('skiff_websocket_connections_total')
    const before = await scrapeExporter(gw)
    const pool = new Pool({ connectionString: gw.url('scram'), max: 2 })
    try {
      const c1 = await pool.connect()
      const c2 = await pool.connect()
      await Promise.all([c1.query('SELECT 1'), c2.query('SELECT 2')])
      const during = await scrapeExporter(gw)
      assert.equal(opened(during) - opened(before), 2)
      assert.equal(
        during.value('skiff_websocket_connections'),
        before.value('skiff_websocket_connections') + 2,
      )
      c1.release()
      c2.release()
    } finally {
      await pool.end()
    }
    const closed = await until(
      () => scrapeExporter(gw),
      (e) => e.value('skiff_websocket_connections') === before.value('skiff_websocket_connections'),
    )
    assert.equal(closed.value('skiff_websocket_connections'), before.value('skiff_websocket_connections'))
    assert.equal(opened(closed) - opened(before), 2)
  })
})

describe('Prometheus /metrics with replicas', () => {
  it('the monitors’ readings show: in recovery on replicas, not on the primary, and replica lag', async () => {
    const gw = await startTestGateway({ general: EXPORTER, replicas: true })
    try {
      const user = { user: topology().users.scram.username }
      const replicas = topology().replicas.length
      assert.ok(replicas > 0, 'the topology has replicas')
      const has = (e: Exposition, name: string, role: string) =>
        e.families.get(name)?.metrics.filter((m) => m.labels?.user === user.user && m.labels?.role === role)
          .length ?? 0
      const e = await until(
        () => scrapeExporter(gw),
        (x) => has(x, 'skiff_server_replica_lag_seconds', 'replica') === replicas,
      )
      assert.equal(has(e, 'skiff_server_replica_lag_seconds', 'replica'), replicas)
      assert.equal(e.value('skiff_server_in_recovery', { ...user, role: 'primary' }), 0)
      assert.equal(e.sum('skiff_server_in_recovery', { ...user, role: 'replica' }), replicas)
      assert.ok(e.value('skiff_server_replica_lag_seconds', { ...user, role: 'replica' }) >= 0)
    } finally {
      await gw.stop()
    }
  })
})

describe('Prometheus /metrics with an unreachable server', () => {
  it('the server shows as banned, with its checkout errors; the exporter closes with the gateway', async () => {
    const port = await deadPort()
    const gw = await startTestGateway({ general: EXPORTER, serverPort: port, connectTimeout: 500 })
    const exporterPort = gw.gateway.metricsPort
    try {
      {
        await using client = await pgClient(gw.url('trust')).catch(() => undefined)
        if (client !== undefined) await assert.rejects(client.query('SELECT 1'))
      }
      const labels = { user: topology().users.trust.username, server: `127.0.0.1:${port}` }
      const e = await until(
        () => scrapeHttp(gw),
        (x) => x.value('skiff_server_banned', labels) === 1,
      )
      assert.equal(e.value('skiff_server_banned', labels), 1)
      assert.equal(e.value('skiff_server_bans_total', labels), 1)
      assert.ok(e.value('skiff_server_checkout_errors_total', labels) >= 1)
    } finally {
      await gw.stop()
    }
    await assert.rejects(fetch(`http://127.0.0.1:${exporterPort}/metrics`), 'the exporter closed at stop')
  })
})
