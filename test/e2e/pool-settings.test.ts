import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Backends Postgres has open for a user (the pool's server connections). */
async function backendsOf(user: string): Promise<number[]> {
  await using admin = await pgClient(directUrl())
  const r = await admin.query('select pid from pg_stat_activity where usename = $1 order by pid', [user])
  return r.rows.map((row) => row.pid as number)
}

/** Polls until `check` holds or `ms` pass; returns the last value. */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!check(value) && Date.now() < deadline) {
    await sleep(100)
    value = await read()
  }
  return value
}

describe('pool settings', () => {
  const gateways: TestGateway[] = []
  const start = async (o: TestGatewayOptions) => {
    const gw = await startTestGateway(o)
    gateways.push(gw)
    return gw
  }
  after(async () => {
    for (const gw of gateways) await gw.stop()
  })

  it('query_wait_timeout: a client that cannot get a connection in time gets 53300, then works later', async () => {
    const gw = await start({ poolSize: 1, queryWaitTimeout: 300 })
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query('begin')
    const started = Date.now()
    await assert.rejects(b.query('select 1'), (err: { code?: string; message: string; hint?: string }) => {
      assert.equal(err.code, '53300')
      assert.match(err.message, /query_wait_timeout \(300 ms\).*pool_size = 1/)
      assert.match(err.hint ?? '', /raise pool_size or query_wait_timeout/)
      return true
    })
    assert.ok(Date.now() - started >= 250, 'it waited for the timeout')
    await a.query('commit')
    assert.equal((await b.query('select 5 as n')).rows[0].n, 5)
  })

  it("query_wait_timeout: each queued client gets its own full wait, not the oldest one's", async () => {
    const gw = await start({ poolSize: 1, queryWaitTimeout: 400 })
    await using holder = await pgClient(gw.url())
    await using first = await pgClient(gw.url())
    await using second = await pgClient(gw.url())
    await holder.query('begin')
    const t0 = Date.now()
    const failedAt = (c: typeof first) =>
      c.query('select 1').then(
        () => assert.fail('should time out'),
        (err: { code?: string }) => {
          assert.equal(err.code, '53300')
          return Date.now() - t0
        },
      )
    const a = failedAt(first)
    await new Promise((r) => setTimeout(r, 200))
    const b = failedAt(second)
    const [ta, tb] = await Promise.all([a, b])
    // Lower bounds are exact (a timer never fires early); upper bounds leave room for a loaded machine.
    assert.ok(ta >= 390 && ta < 1500, `first waited ${ta} ms`)
    assert.ok(tb >= 590 && tb < 2000, `second waited ${tb} ms from t0 (queued 200 ms later)`)
    assert.ok(tb - ta >= 120, `the second expired on its own deadline, ${tb - ta} ms after the first`)
    await holder.query('commit')
  })

  it('min_pool_size: connections are opened before any client asks', async () => {
    const gw = await start({ minPoolSize: 2, poolSize: 4 })
    const user = topology().users.plain.username
    const pids = await eventually(
      () => backendsOf(user),
      (p) => p.length >= 2,
    )
    assert.ok(pids.length >= 2, `expected 2 warm connections for ${user}, saw ${pids.length}`)
    await gw.stop() // its warm connections would count as other pools' backends in the tests below
  })

  it('idle_timeout: idle connections above min_pool_size are closed', async () => {
    const gw = await start({ poolSize: 3, idleTimeout: 300 })
    const user = topology().users.md5.username
    const clients = await Promise.all([1, 2, 3].map(() => pgClient(gw.url('md5'))))
    await Promise.all(clients.map((c) => c.query('select pg_sleep(0.1)')))
    for (const c of clients) await c[Symbol.asyncDispose]()
    const pids = await eventually(
      () => backendsOf(user),
      (p) => p.length === 0,
    )
    assert.deepEqual(pids, [])
  })

  it('server_lifetime: a connection older than the limit is not reused', async () => {
    const gw = await start({ poolSize: 1, serverLifetime: 200 })
    await using c = await pgClient(gw.url('trust'))
    const first = (await c.query('select pg_backend_pid() as pid')).rows[0].pid
    await sleep(400)
    await c.query('select 1')
    const second = (await c.query('select pg_backend_pid() as pid')).rows[0].pid
    assert.notEqual(second, first)
  })

  it('statement_timeout: Postgres cancels a statement that runs too long with 57014', async () => {
    const gw = await start({ statementTimeout: 200 })
    await using c = await pgClient(gw.url())
    await assert.rejects(c.query('select pg_sleep(2)'), { code: '57014' })
    assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
  })

  it('cleartext server auth: a user whose server asks for a plain password logs in', async () => {
    const gw = await start({})
    await using c = await pgClient(gw.url('plain'))
    assert.equal((await c.query('select current_user as u')).rows[0].u, topology().users.plain.username)
  })

  it('a server that is down: the client gets 08001 naming the server, and the gateway keeps serving', async () => {
    const dead = await start({ serverPort: 1, connectTimeout: 500 })
    const started = Date.now()
    await assert.rejects(pgClient(dead.url()), (err: { code?: string; message: string }) => {
      assert.equal(err.code, '08001')
      assert.match(err.message, /could not connect to server 127\.0\.0\.1:1\//)
      return true
    })
    assert.ok(Date.now() - started < 3000)
    const alive = await start({})
    await using c = await pgClient(alive.url())
    assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
  })

  it('idle_client_in_transaction_timeout: an idle transaction is ended with 25P03 and its server freed', async () => {
    const gw = await start({ poolSize: 1, general: 'idle_client_in_transaction_timeout = 300' })
    await using a = await pgClient(gw.url())
    const errors: Array<{ code?: string }> = []
    a.on('error', (err) => errors.push(err as { code?: string }))
    await a.query('begin')
    await a.query('create temp table idle_tx (x int)')
    await sleep(700)
    assert.equal(errors[0]?.code, '25P03') // then pg reports the closed connection
    await using b = await pgClient(gw.url())
    assert.equal(
      (await b.query(`select count(*)::int as n from pg_tables where tablename = 'idle_tx'`)).rows[0].n,
      0,
    )
  })
})
