import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { Cleanup } from './cleanup-state.js'
import type { ServerPool } from './server-pool.js'
import { summaries } from './testing/backend-summary.js'
import { sqlError } from './testing/fake-outcome.js'
import { memoryPool } from './testing/memory-pool.js'
import { checkout, ProbeSink, ProbeWaiter } from './testing/pool-probes.js'
import { until } from './testing/until.js'

/** Pools opened by a test, closed after it so no fake connection outlives it. */
const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

function pool(...args: Parameters<typeof memoryPool>): ReturnType<typeof memoryPool> {
  const made = memoryPool(...args)
  opened.push(made.pool)
  return made
}

describe('ServerPool over fake servers: checkout and check-in', () => {
  it('opens and logs in one connection, lends it again after check-in', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const fake = cluster.servers[0]!
    assert.equal(fake.startupParams.get('user'), 'alice')
    assert.equal(fake.startupParams.get('database'), 'app')
    assert.equal(server.processId, fake.processId, 'the connection keeps the backend key data')
    assert.equal(server.secretKey, fake.secretKey)
    assert.equal(server.params.get('server_version'), '16.4 (fake)')
    const sink = new ProbeSink()
    assert.deepEqual(summaries(await sink.query(server, 'select 1')), [
      'RowDescription:?column?',
      'DataRow:1',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    p.checkin(server, 'transaction')
    assert.deepEqual(p.idle, [server], 'a clean idle connection goes straight back')
    assert.equal(await checkout(p), server)
    assert.equal(cluster.servers.length, 1)
    assert.deepEqual(fake.queries(), ['select 1'], 'nothing was sent to clean a clean connection')
    assert.equal(p.stats.checkouts, 2)
  })

  it('pool_size caps connections; waiters are served first come, first served', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
    const { pool: p, cluster } = pool({ poolSize: 1 })
    const first = await checkout(p)
    const order: string[] = []
    const b = new ProbeWaiter('b', order)
    const c = new ProbeWaiter('c', order)
    p.checkout(b)
    p.checkout(c)
    assert.equal(cluster.opened.length, 1, 'no second connection beyond pool_size')
    assert.equal(p.waiting, 2)
    t.mock.timers.tick(5)
    assert.equal(p.maxWait(), 5)
    p.checkin(first, 'transaction')
    assert.deepEqual(order, ['b'])
    assert.equal(b.server, first)
    t.mock.timers.tick(7)
    p.checkin(b.server!, 'transaction')
    assert.deepEqual(order, ['b', 'c'])
    assert.equal(c.server, first)
    assert.equal(p.waiting, 0)
    assert.equal(p.stats.checkouts, 3)
    assert.equal(p.stats.waitTimeMicros, 5_000 + 12_000)
    assert.equal(p.stats.maxWaitMicros, 12_000)
  })

  it('query_wait_timeout fails a waiter with 53300; the connection it waited for stays usable', async () => {
    const { pool: p } = pool({ poolSize: 1, minPoolSize: 1, queryWaitTimeout: 30 })
    // Opened ahead, so the first checkout does not wait on a connect that could take over 30 ms.
    p.maintain()
    await until(() => p.idle.length === 1, 'the min_pool_size connection')
    const held = await checkout(p)
    const late = new ProbeWaiter()
    p.checkout(late)
    await until(() => late.answered, 'the wait to time out')
    assert.equal(late.error?.code, 'POOL_TIMEOUT')
    assert.equal(late.error?.sqlstate, '53300')
    assert.match(late.error?.message ?? '', /query_wait_timeout \(30 ms\).*pool_size = 1/)
    assert.equal(p.waiting, 0)
    assert.equal(p.stats.checkoutErrors, 1)
    p.checkin(held, 'transaction')
    assert.deepEqual(p.idle, [held])
  })

  it('a connection checked in inside a transaction (or a failed one) is rolled back before reuse', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const sink = new ProbeSink()
    await sink.query(server, 'begin')
    assert.equal(String.fromCharCode(server.txnStatus), 'T')
    p.checkin(server, 'transaction')
    assert.equal(p.idle.length, 0, 'not lendable until the ROLLBACK is answered')
    await until(() => p.idle.length === 1, 'the rolled-back connection to be idle')
    const fake = cluster.servers[0]!
    assert.deepEqual(fake.queries(), ['begin', 'ROLLBACK'])
    assert.equal(fake.txnStatus, 'I')

    assert.equal(await checkout(p), server)
    await sink.query(server, 'begin')
    await sink.query(server, 'select error')
    assert.deepEqual(sink.readies.slice(-1), ['E'])
    p.checkin(server, 'transaction')
    await until(() => p.idle.length === 1, 'the failed transaction to be rolled back')
    assert.deepEqual(fake.queries().slice(-1), ['ROLLBACK'])
  })
})

describe('ServerPool over fake servers: cleanup at check-in', () => {
  it("a client's SET is reset; the gateway's own commands do not mark the connection again", async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    await new ProbeSink().query(server, 'set work_mem = 64')
    assert.equal(server.cleanup, Cleanup.Set)
    p.checkin(server, 'transaction')
    await until(() => p.idle.length === 1, 'the reset connection')
    assert.deepEqual(cluster.servers[0]!.queries(), [
      'set work_mem = 64',
      'RESET ALL',
      'SET SESSION AUTHORIZATION DEFAULT',
    ])
    assert.equal(server.cleanup, 0)
  })

  it('each cleanup flag sends its command; Discard closes the connection instead', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    server.cleanup = Cleanup.Listen | Cleanup.Temp | Cleanup.Advisory | Cleanup.Cursor
    p.checkin(server, 'transaction')
    await until(() => p.idle.length === 1, 'the cleaned connection')
    const fake = cluster.servers[0]!
    assert.deepEqual(fake.queries(), [
      'UNLISTEN *',
      'CLOSE ALL',
      'DISCARD TEMP',
      'SELECT pg_advisory_unlock_all()',
    ])
    const again = await checkout(p)
    again.cleanup = Cleanup.Discard
    p.checkin(again, 'transaction')
    assert.equal(again.closed, true)
    assert.equal(p.all.size, 0)
    await until(() => fake.state === 'closed', 'the backend to see the close')
    assert.equal(fake.received.at(-1)?.type, 'Terminate')
  })

  it('session mode runs server_reset_query; a cleanup the server refuses closes the connection', async () => {
    const { pool: p, cluster } = pool({ serverResetQuery: 'DISCARD ALL' })
    const server = await checkout(p)
    p.checkin(server, 'session')
    await until(() => p.idle.length === 1, 'the reset connection')
    assert.deepEqual(cluster.servers[0]!.queries(), ['DISCARD ALL'])

    cluster.servers[0]!.handle('DISCARD ALL', () => sqlError('55000', 'cannot discard'))
    p.checkin(await checkout(p), 'session')
    await until(() => server.closed, 'the connection to be closed')
    assert.equal(p.idle.length, 0)
    assert.equal(p.all.size, 0)
  })
})

describe('ServerPool over fake servers: expiry', () => {
  it('idle_timeout closes an idle connection through maintain(), but not below min_pool_size', async () => {
    const { pool: p, cluster } = pool({ idleTimeout: 10_000 })
    const server = await checkout(p)
    p.checkin(server, 'transaction')
    const idleSince = server.idleSince
    p.maintain(idleSince + 10_000)
    assert.equal(server.closed, false, 'not past idle_timeout yet')
    p.maintain(idleSince + 10_001)
    assert.equal(server.closed, true)
    assert.equal(p.all.size, 0)
    await until(() => cluster.servers[0]!.state === 'closed', 'the backend to see the close')

    const kept = pool({ idleTimeout: 10_000, minPoolSize: 2 })
    kept.pool.maintain()
    await until(() => kept.pool.idle.length === 2, 'min_pool_size connections')
    assert.equal(kept.cluster.loggedIn.length, 2)
    kept.pool.maintain(Date.now() + 60_000)
    assert.equal(kept.pool.all.size, 2, 'min_pool_size connections are kept however idle')
  })

  it('server_lifetime closes a connection at maintain(), and the next checkout opens a new one', async () => {
    const { pool: p, cluster } = pool({ serverLifetime: 60_000, idleTimeout: 0 })
    const server = await checkout(p)
    p.checkin(server, 'transaction')
    p.maintain(server.createdAt + 60_000)
    assert.equal(server.closed, false)
    p.maintain(server.createdAt + 60_001)
    assert.equal(server.closed, true)
    const next = await checkout(p)
    assert.notEqual(next, server)
    assert.equal(cluster.loggedIn.length, 2)
  })
})
