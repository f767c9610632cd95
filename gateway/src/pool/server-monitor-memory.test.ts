import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { READING_SQL } from './replication-reading.js'
import type { ServerPool } from './server-pool.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { FakeReplication } from './testing/fake-replication.js'
import { memoryPool } from './testing/memory-pool.js'
import { checkout } from './testing/pool-probes.js'
import { until } from './testing/until.js'

const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

/** A pool with a monitor over a cluster whose replication state the test moves. */
function monitored(settings: Parameters<typeof memoryPool>[0] = {}) {
  const cluster = new FakeCluster()
  const replication = new FakeReplication(cluster) // before the pool: its monitor reads at once
  const { pool } = memoryPool({ monitorInterval: 20, banTime: 60_000, ...settings }, cluster)
  opened.push(pool)
  return { pool, cluster, replication, monitor: pool.monitor! }
}

/** Resolves once `pool`'s monitor has `n` more successful readings than now. */
function readings(pool: ServerPool, n = 1): Promise<void> {
  const target = pool.monitor!.counters.readings + n
  return until(() => pool.monitor!.counters.readings >= target, `${n} more readings`)
}

describe('ServerMonitor over a fake server', () => {
  it('a pool without monitorInterval has none and opens nothing', () => {
    const { pool, cluster } = memoryPool()
    opened.push(pool)
    assert.equal(pool.monitor, undefined)
    assert.equal(pool.commitLsn, undefined)
    assert.equal(cluster.servers.length, 0)
  })

  it('reads a primary at once and every interval, on a connection outside pool_size', async () => {
    const { pool, cluster, replication, monitor } = monitored()
    await until(() => monitor.reading !== undefined, 'the first reading')
    assert.equal(monitor.reading!.inRecovery, false)
    assert.equal(monitor.lsn, 0x3000028n)
    assert.equal(monitor.lagMs, 0)
    assert.ok(Math.abs(monitor.readAt - Date.now()) < 1000)
    assert.equal(pool.health.inRecovery, false, 'recorded as a health check')
    assert.equal(pool.all.size, 0, 'not one of the pool’s connections')
    assert.equal(cluster.live.length, 1)
    replication.lsn = 0x3001330n
    await until(() => monitor.lsn === 0x3001330n, 'a later reading')
    assert.ok(cluster.servers[0]!.queries().every((q) => q === READING_SQL))
    assert.equal(monitor.counters.connects, 1, 'one connection for every reading')
    await checkout(pool) // the pool's own connections are separate
    assert.equal(pool.all.size, 1)
    assert.equal(cluster.live.length, 2)
  })

  it('a standby: replay LSN and lag; a lag after being seen caught up is capped by the time since', async () => {
    const { pool, replication, monitor } = monitored()
    replication.inRecovery = true
    await until(() => monitor.reading?.inRecovery === true, 'a standby reading')
    assert.equal(pool.health.inRecovery, true)
    assert.equal(monitor.lagMs, 0)
    // The server reports its last replayed commit's age, a minute (a write after a quiet spell).
    replication.lagMs = 60_000
    await readings(pool)
    assert.ok(monitor.lagMs! < 1000, `capped: ${monitor.lagMs} ms`)
    replication.lagMs = null
    await readings(pool)
    assert.ok(monitor.lagMs !== undefined && monitor.lagMs < 1000, 'unknown, but bounded all the same')
  })

  it('without a caught-up reading since connecting, the server figure stands; NULL is unknown', async () => {
    const cluster = new FakeCluster()
    const replication = new FakeReplication(cluster)
    replication.inRecovery = true
    replication.lagMs = 2016
    const { pool } = memoryPool({ monitorInterval: 20 }, cluster)
    opened.push(pool)
    await until(() => pool.monitor!.reading !== undefined, 'a reading')
    assert.equal(pool.monitor!.lagMs, 2016)
    replication.lagMs = null
    await until(() => pool.monitor!.reading!.lagMs === undefined, 'an unknown lag')
  })

  it('follows a promotion', async () => {
    const { pool, replication, monitor } = monitored()
    replication.inRecovery = true
    await until(() => pool.health.inRecovery === true, 'a standby')
    replication.inRecovery = false
    await until(() => pool.health.inRecovery === false, 'the promoted server')
    assert.equal(monitor.lagMs, 0)
  })

  it('an error reply bans the server; the connection stays and readings go on', async () => {
    const { pool, cluster, replication, monitor } = monitored()
    await readings(pool)
    replication.failReadingsWith = 'the database system is shutting down'
    await until(() => pool.health.banned(), 'a ban')
    assert.match(pool.health.banReason!, /health check failed: the database system is shutting down/)
    assert.ok(monitor.reading !== undefined, 'the last good reading is kept')
    replication.failReadingsWith = undefined
    await readings(pool)
    assert.equal(monitor.counters.connects, 1)
    assert.equal(cluster.live.length, 1)
  })

  it('no reply within healthcheckTimeout: banned, the connection closed, a new one at the next interval', async () => {
    const { pool, cluster, monitor } = monitored({ monitorInterval: 60, healthcheckTimeout: 30 })
    await readings(pool)
    cluster.servers[0]!.hold()
    await until(() => pool.health.banned(), 'a ban')
    assert.match(pool.health.banReason!, /no reply within healthcheck_timeout \(30 ms\)/)
    assert.equal(cluster.servers[0]!.state, 'closed')
    await readings(pool)
    assert.equal(monitor.counters.connects, 2)
  })

  it('a refused connect bans; readings start once the server is back', async () => {
    const cluster = new FakeCluster()
    new FakeReplication(cluster)
    cluster.refuseConnections = true
    const { pool } = memoryPool({ monitorInterval: 20, banTime: 60_000 }, cluster)
    opened.push(pool)
    await until(() => pool.health.banned(), 'a ban')
    assert.match(pool.health.banReason!, /health check failed: connect failed/)
    cluster.refuseConnections = false
    await until(() => pool.monitor!.reading !== undefined, 'a reading')
  })

  it('the server going away between readings: no ban, no error, a new connection next interval', async () => {
    const { pool, cluster, monitor } = monitored({ monitorInterval: 200 })
    await readings(pool)
    cluster.servers[0]!.terminate()
    await until(() => monitor.connection === undefined, 'the loss seen')
    await readings(pool)
    assert.equal(monitor.counters.connects, 2)
    assert.equal(pool.health.banned(), false)
    assert.equal(monitor.counters.failures, 0)
  })

  it('a reading still under way when the next is due: skipped, not stacked', async () => {
    const { pool, cluster, monitor } = monitored({ monitorInterval: 10, healthcheckTimeout: 5000 })
    await readings(pool)
    const fake = cluster.servers[0]!
    fake.hold()
    const before = fake.queries().length
    await until(() => fake.queries().length > before, 'a reading sent, its reply held')
    const sent = fake.queries().length
    await sleep(80) // nothing a fake does wakes `until` here: intervals pass with nothing sent
    assert.ok(monitor.counters.skipped >= 3, `${monitor.counters.skipped} intervals skipped`)
    assert.equal(fake.queries().length, sent, 'one reading in flight at most')
    fake.release()
    await readings(pool)
  })

  it('closing the pool stops the monitor and closes its connection', async () => {
    const { pool, cluster } = monitored()
    await readings(pool)
    pool.close()
    await until(() => cluster.servers[0]!.state === 'closed', 'the connection closed')
    const sent = cluster.servers[0]!.queries().length
    await sleep(80)
    assert.equal(cluster.servers[0]!.queries().length, sent)
    assert.equal(cluster.servers.length, 1, 'no reconnect')
  })

  it('closed while connecting: the connection that comes is closed at once', async () => {
    const cluster = new FakeCluster()
    new FakeReplication(cluster)
    cluster.onServer = (server) => server.hold()
    const { pool } = memoryPool({ monitorInterval: 20 }, cluster)
    pool.close()
    cluster.servers[0]!.release()
    await until(() => cluster.servers[0]!.state === 'closed', 'the late connection closed')
    assert.equal(pool.monitor!.reading, undefined)
  })
})
