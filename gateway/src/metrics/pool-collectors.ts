/**
 * The pool, server and gateway-wide metrics, each filled by its collect() callback when Prometheus
 * scrapes: the values come straight from the pool registry's counters (stats/counters.ts), the bans
 * (pool/server-health.ts) and the monitors, so the data path pays nothing for them.
 * @see https://github.com/siimon/prom-client#usage-with-collect
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { describeAddress } from '../pool/server-address.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { TableVersionReplication } from '../pool/table-version-replication.js'
import type { UserPool } from '../pool/user-pool.js'
import { GATEWAY_METRICS, type MetricDefinition, POOL_METRICS, SERVER_METRICS } from './definitions.js'
import type { MetricsSources } from './sources.js'

type Labels = Record<string, string>
/** Sets the values of one metric; called with the metric reset, once per scrape. */
type Fill = (set: (labels: Labels, value: number) => void) => void

/** Registers a gauge or counter whose values `fill` writes at each scrape. */
function register(registry: Registry, d: MetricDefinition, fill: Fill): void {
  const options = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [registry] }
  if (d.type === 'gauge')
    new Gauge({
      ...options,
      collect() {
        this.reset()
        fill((labels, value) => this.set(labels, value))
      },
    })
  else if (d.type === 'counter')
    new Counter({
      ...options,
      collect() {
        // The totals live on the pools; the counter shows them as they are (never negative).
        this.reset()
        fill((labels, value) => this.inc(labels, Math.max(0, value)))
      },
    })
  else throw new Error(`${d.name}: only gauges and counters are collected`)
}

function poolLabels(pool: UserPool): Labels {
  return { database: pool.database, user: pool.username }
}

function serverLabels(pool: UserPool, sp: ServerPool): Labels {
  const a = sp.address
  return { ...poolLabels(pool), shard: String(a.shard), role: a.role, server: `${a.host}:${a.port}` }
}

/** Calls `each` for every server pool of every (database, user) pool, with its labels. */
function eachServer(src: MetricsSources, each: (labels: Labels, sp: ServerPool) => void): void {
  for (const pool of src.pools.userPools())
    for (const sp of pool.serverPools()) each(serverLabels(pool, sp), sp)
}

/** A server-level metric whose value is `value(sp)` (undefined: no sample for that server). */
function serverMetric(
  registry: Registry,
  src: MetricsSources,
  d: MetricDefinition,
  value: (sp: ServerPool, now: number) => number | undefined,
): void {
  register(registry, d, (set) => {
    const now = Date.now()
    eachServer(src, (labels, sp) => {
      const v = value(sp, now)
      if (v !== undefined) set(labels, v)
    })
  })
}

/** Clients of each pool by state, as SHOW POOLS counts them (cl_active, cl_waiting, cl_idle). */
function fillClients(src: MetricsSources, set: (labels: Labels, value: number) => void): void {
  const byPool = new Map<string, { logged: number; active: number }>()
  for (const c of src.clients()) {
    const key = `${c.database}\0${c.username}`
    const n = byPool.get(key) ?? { logged: 0, active: 0 }
    n.logged++
    if (c.active === true) n.active++
    byPool.set(key, n)
  }
  for (const pool of src.pools.userPools()) {
    let waiting = 0
    for (const sp of pool.serverPools()) waiting += sp.waiting
    const n = byPool.get(`${pool.database}\0${pool.username}`) ?? { logged: 0, active: 0 }
    const labels = poolLabels(pool)
    set({ ...labels, state: 'active' }, n.active)
    set({ ...labels, state: 'waiting' }, waiting)
    set({ ...labels, state: 'idle' }, Math.max(0, n.logged - n.active - waiting))
  }
}

/** Registers the per-pool metrics. */
export function registerPoolMetrics(registry: Registry, src: MetricsSources): void {
  register(registry, POOL_METRICS.clients, (set) => fillClients(src, set))
  register(registry, POOL_METRICS.maxWait, (set) => {
    const now = Date.now()
    for (const pool of src.pools.userPools()) {
      let ms = 0
      for (const sp of pool.serverPools()) ms = Math.max(ms, sp.maxWait(now))
      set(poolLabels(pool), ms / 1000)
    }
  })
  register(registry, POOL_METRICS.pinned, (set) => {
    for (const pool of src.pools.userPools()) set(poolLabels(pool), pool.pins.current)
  })
  register(registry, POOL_METRICS.pins, (set) => {
    for (const pool of src.pools.userPools()) set(poolLabels(pool), pool.pins.total)
  })
}

/** Registers the per-server metrics. */
export function registerServerMetrics(registry: Registry, src: MetricsSources): void {
  const m = SERVER_METRICS
  register(registry, m.connections, (set) =>
    eachServer(src, (labels, sp) => {
      set({ ...labels, state: 'active' }, sp.all.size - sp.idle.length)
      set({ ...labels, state: 'idle' }, sp.idle.length)
    }),
  )
  // totals(): the closed connections' traffic plus the open ones' so far.
  serverMetric(registry, src, m.transactions, (sp) => sp.totals().xactCount)
  serverMetric(registry, src, m.queries, (sp) => sp.totals().queryCount)
  serverMetric(registry, src, m.sent, (sp) => sp.totals().bytesSent)
  serverMetric(registry, src, m.received, (sp) => sp.totals().bytesReceived)
  serverMetric(registry, src, m.xactTime, (sp) => sp.totals().xactTimeMicros / 1e6)
  serverMetric(registry, src, m.queryTime, (sp) => sp.totals().queryTimeMicros / 1e6)
  serverMetric(registry, src, m.errors, (sp) => sp.totals().errors)
  serverMetric(registry, src, m.prepareCacheHits, (sp) => sp.totals().prepareCacheHits)
  serverMetric(registry, src, m.prepareCacheMisses, (sp) => sp.totals().prepareCacheMisses)
  serverMetric(registry, src, m.checkouts, (sp) => sp.stats.checkouts)
  serverMetric(registry, src, m.waitTime, (sp) => sp.stats.waitTimeMicros / 1e6)
  serverMetric(registry, src, m.maxWait, (sp) => sp.stats.maxWaitMicros / 1e6)
  serverMetric(registry, src, m.checkoutErrors, (sp) => sp.stats.checkoutErrors)
  serverMetric(registry, src, m.banned, (sp, now) => (sp.health.banned(now) ? 1 : 0))
  serverMetric(registry, src, m.bans, (sp) => sp.health.bans)
  serverMetric(registry, src, m.inRecovery, (sp) =>
    sp.health.inRecovery === undefined ? undefined : Number(sp.health.inRecovery),
  )
  serverMetric(registry, src, m.lag, (sp) => {
    const ms = sp.monitor?.lagMs
    return ms === undefined ? undefined : ms / 1000
  })
}

/** Registers the gateway-wide metrics read at scrape time. */
export function registerGatewayMetrics(registry: Registry, src: MetricsSources): void {
  const m = GATEWAY_METRICS
  register(registry, m.clientConnections, (set) => set({}, src.connectionCount()))
  register(registry, m.preparedStatements, (set) => set({}, src.preparedStatements.size))
  register(registry, m.shapeCacheHits, (set) => set({}, src.shapeCache.counters.hits))
  register(registry, m.shapeCacheMisses, (set) => set({}, src.shapeCache.counters.misses))
  register(registry, m.websocketsOpen, (set) => set({}, src.websockets.open))
  register(registry, m.websocketsOpened, (set) => set({}, src.websockets.opened))
  const streams = () => src.tableVersionStreams?.() ?? []
  const streamLabels = (s: TableVersionReplication) => ({
    database: s.database,
    server: describeAddress(s.address),
  })
  register(registry, m.tableVersionStreamUp, (set) => {
    for (const s of streams()) set(streamLabels(s), s.streaming ? 1 : 0)
  })
  register(registry, m.tableVersionCommits, (set) => {
    for (const s of streams()) set(streamLabels(s), s.commits)
  })
}
