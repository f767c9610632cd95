import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { checkServer, HEALTH_CHECK_SQL, type HealthCheckResult } from './health-check.js'
import type { ServerConnection } from './server-conn.js'
import type { ServerPool } from './server-pool.js'
import { TypeOid } from './testing/backend-messages.js'
import { type Outcome, rows, sqlError } from './testing/fake-outcome.js'
import { memoryPool } from './testing/memory-pool.js'
import { checkout, ProbeSink, ProbeWaiter } from './testing/pool-probes.js'
import { until } from './testing/until.js'

const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

function pool(...args: Parameters<typeof memoryPool>): ReturnType<typeof memoryPool> {
  const made = memoryPool(...args)
  opened.push(made.pool)
  return made
}

/** Runs checkServer and resolves with its one result. */
function check(server: ServerConnection, timeoutMs = 1000): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    let calls = 0
    checkServer(server, timeoutMs, (result) => {
      calls++
      assert.equal(calls, 1, 'done is called once')
      resolve(result)
    })
  })
}

/** A connection of `p` that has been idle `ms` longer than it has. */
async function idleFor(p: ServerPool, ms: number): Promise<ServerConnection> {
  const server = await checkout(p)
  p.checkin(server, 'transaction')
  server.idleSince -= ms
  return server
}

describe('checkServer over a fake server', () => {
  it('a primary answers f; the connection is idle and usable after', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    assert.deepEqual(await check(server), { ok: true, inRecovery: false })
    assert.deepEqual(cluster.servers[0]!.queries(), [HEALTH_CHECK_SQL])
    assert.equal(server.syncState, 'ready')
    assert.equal(server.cleanup, 0, 'the check leaves nothing to clean')
    await new ProbeSink().query(server, 'select 1')
    assert.equal(server.closed, false)
  })

  it('a standby answers t', async () => {
    const { pool: p, cluster } = pool()
    cluster.handle(HEALTH_CHECK_SQL, () => recovery('t'))
    const server = await checkout(p)
    assert.deepEqual(await check(server), { ok: true, inRecovery: true })
  })

  it('an error reply is a failure carrying the server message', async () => {
    const { pool: p, cluster } = pool()
    cluster.handle(HEALTH_CHECK_SQL, () => sqlError('57P03', 'the database system is shutting down'))
    const server = await checkout(p)
    assert.deepEqual(await check(server), { ok: false, reason: 'the database system is shutting down' })
  })

  it('no reply within the timeout: a failure, and the connection is closed', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    cluster.servers[0]!.hold()
    const started = Date.now()
    const result = await check(server, 30)
    assert.equal(result.ok, false)
    assert.match((result as { reason: string }).reason, /no reply within healthcheck_timeout \(30 ms\)/)
    assert.ok(Date.now() - started < 1000)
    assert.equal(server.closed, true)
  })

  it('a server that dies mid-reply is a failure', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    cluster.servers[0]!.dieMidReply()
    const result = await check(server)
    assert.equal(result.ok, false)
    assert.match((result as { reason: string }).reason, /lost the connection/)
  })

  it('a connection lent to a client or not idle is not checked', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    server.owner = new ProbeSink()
    assert.deepEqual(await check(server), { ok: false, reason: 'the connection is lent to a client' })
    assert.deepEqual(cluster.servers[0]!.queries(), [], 'nothing was sent')
  })
})

/** The health check's reply as a standby (`t`) or a primary (`f`) gives it. */
function recovery(value: 't' | 'f'): Outcome {
  return rows([{ name: 'pg_is_in_recovery', type: TypeOid.bool }], [[value]])
}

describe('ServerPool: health checks at checkout and bans', () => {
  it('without healthcheckDelay (the default) nothing is checked and nothing banned', async () => {
    const { pool: p, cluster } = pool()
    await idleFor(p, 3_600_000)
    await checkout(p)
    assert.deepEqual(cluster.servers[0]!.queries(), [])
    cluster.refuseConnections = true
    await assert.rejects(checkout(p))
    assert.equal(p.health.banned(), false)
  })

  it('a connection idle past healthcheckDelay is checked, then lent; a fresher one is not', async () => {
    const { pool: p, cluster } = pool({ healthcheckDelay: 1000, banTime: 60_000 })
    const server = await idleFor(p, 5000)
    assert.equal(await checkout(p), server)
    assert.deepEqual(cluster.servers[0]!.queries(), [HEALTH_CHECK_SQL])
    assert.equal(p.health.inRecovery, false)
    assert.ok(p.health.lastCheckedAt > 0)
    p.checkin(server, 'transaction')
    assert.equal(await checkout(p), server)
    assert.deepEqual(cluster.servers[0]!.queries(), [HEALTH_CHECK_SQL], 'idle < delay: no second check')
  })

  it('a failed check bans the server, closes the connection, and the waiter gets a new one', async () => {
    const { pool: p, cluster } = pool({ healthcheckDelay: 0, healthcheckTimeout: 30, banTime: 60_000 })
    const stale = await idleFor(p, 10)
    cluster.servers[0]!.hold()
    const fresh = await checkout(p)
    assert.notEqual(fresh, stale)
    assert.equal(stale.closed, true)
    assert.equal(p.health.banned(), true)
    assert.match(p.health.banReason!, /health check failed: no reply/)
    assert.equal(p.health.bans, 1)
    assert.equal(cluster.servers.length, 2)
  })

  it('a failed connect bans the server', async () => {
    const { pool: p, cluster } = pool({ banTime: 60_000 })
    cluster.refuseConnections = true
    await assert.rejects(checkout(p))
    assert.equal(p.health.banned(), true)
    assert.match(p.health.banReason!, /connect failed/)
  })

  it('after a lifted ban the next lend is checked however fresh the connection', async () => {
    const { pool: p, cluster } = pool({ healthcheckDelay: 3_600_000, banTime: 60_000 })
    const server = await idleFor(p, 0)
    p.health.ban('test', Date.now() - 60_000)
    assert.equal(p.health.banned(), false)
    await checkout(p)
    assert.deepEqual(cluster.servers[0]!.queries(), [HEALTH_CHECK_SQL])
    assert.equal(p.health.checkOwed, false)
    p.checkin(server, 'transaction')
  })

  it('the check finds a promoted server: inRecovery follows it', async () => {
    const { pool: p, cluster } = pool({ healthcheckDelay: 0 })
    let standby = true
    cluster.handle(HEALTH_CHECK_SQL, () => recovery(standby ? 't' : 'f'))
    const server = await idleFor(p, 1)
    p.checkin(await checkout(p), 'transaction')
    assert.equal(p.health.inRecovery, true)
    standby = false
    server.idleSince -= 1
    await checkout(p)
    assert.equal(p.health.inRecovery, false)
  })

  it('a waiter that left during the check is not lent the connection', async () => {
    const { pool: p, cluster } = pool({ healthcheckDelay: 0 })
    const server = await idleFor(p, 1)
    cluster.servers[0]!.hold()
    const waiter = new ProbeWaiter()
    p.checkout(waiter)
    p.cancelCheckout(waiter)
    cluster.servers[0]!.release()
    await until(() => p.idle.length === 1, 'the checked connection back to idle')
    assert.equal(waiter.answered, false)
    assert.equal(p.idle[0], server)
  })
})
