import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { checkServer, type HealthCheckResult } from '../../gateway/src/pool/health-check.js'
import type { ServerConnection } from '../../gateway/src/pool/server-conn.js'
import type { CheckoutWaiter } from '../../gateway/src/pool/server-pool.js'
import { ServerPool } from '../../gateway/src/pool/server-pool.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

/** Checks a connection out of `pool`; rejects with the pool's error. */
function checkout(pool: ServerPool): Promise<ServerConnection> {
  return new Promise((resolve, reject) => {
    const waiter: CheckoutWaiter = { onCheckout: resolve, onCheckoutError: reject }
    pool.checkout(waiter)
  })
}

function check(server: ServerConnection, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => checkServer(server, timeoutMs, resolve))
}

/** A TCP relay to `port` that can stop passing the server's bytes back (a server that hangs). */
function stallingRelay(port: number): Promise<{ port: number; stall(): void; close(): void }> {
  let stalled = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => stalled || client.write(chunk))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        stall: () => {
          stalled = true
        },
        close: () => {
          for (const s of sockets) s.destroy()
          server.close()
        },
      }),
    ),
  )
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const blocker = net.createServer().listen(0, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  const { port } = blocker.address() as net.AddressInfo
  await new Promise((r) => blocker.close(r))
  return port
}

describe('server health against real Postgres', () => {
  let gw: TestGateway
  const pools = () => gw.gateway.pools.get(topology().database, topology().users.scram.username)!.shards[0]!
  before(async () => {
    gw = await startTestGateway({ replicas: true })
  })
  after(() => gw.stop())

  it('checkServer reads pg_is_in_recovery(): false on the primary, true on each streaming replica', async () => {
    const [primary, ...replicas] = pools()
    assert.equal(primary!.address.role, 'primary')
    assert.ok(replicas.length > 0, 'the topology has replicas')
    for (const pool of [primary!, ...replicas]) {
      const server = await checkout(pool)
      const result = await check(server, 2000)
      assert.deepEqual(result, { ok: true, inRecovery: pool !== primary }, `${pool}`)
      pool.health.recordCheck(result)
      assert.equal(server.syncState, 'ready', 'the connection stays usable')
      pool.checkin(server, 'transaction')
    }
    assert.equal(primary!.health.inRecovery, false)
    for (const r of replicas) assert.equal(r.health.inRecovery, true)
  })

  it('a server that stops answering fails the check within healthcheck_timeout; the connection is closed', async () => {
    const primary = pools()[0]!
    const relay = await stallingRelay(topology().primary.port)
    const address = { ...primary.address, port: relay.port }
    const pool = new ServerPool('health/stall', address, primary.login, primary.settings)
    try {
      const server = await checkout(pool)
      relay.stall()
      const started = Date.now()
      const result = await check(server, 300)
      const took = Date.now() - started
      assert.equal(result.ok, false)
      assert.match((result as { reason: string }).reason, /healthcheck_timeout \(300 ms\)/)
      assert.ok(took >= 290 && took < 2000, `failed after ${took} ms`)
      assert.equal(server.closed, true)
    } finally {
      pool.close()
      relay.close()
    }
  })

  it('a dead port: the connect fails within connect_timeout and bans the server for ban_time', async () => {
    const primary = pools()[0]!
    const address = { ...primary.address, port: await deadPort() }
    const pool = new ServerPool('health/dead', address, primary.login, {
      ...primary.settings,
      banTime: 60_000,
    })
    try {
      const started = Date.now()
      await assert.rejects(checkout(pool))
      assert.ok(Date.now() - started < primary.login.connectTimeout + 1000)
      assert.equal(pool.health.banned(), true)
      assert.equal(pool.health.bans, 1)
      assert.match(pool.health.banReason!, /connect failed/)
      assert.equal(pool.health.banned(Date.now() + 60_000), false, 'lifted after ban_time')
    } finally {
      pool.close()
    }
  })
})
