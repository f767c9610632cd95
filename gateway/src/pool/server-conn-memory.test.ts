import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { serializeQuery } from '../protocol/frontend.js'
import type { ServerPool } from './server-pool.js'
import { summaries } from './testing/backend-summary.js'
import { FakeCluster } from './testing/fake-cluster.js'
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

/** The error a checkout ends with; fails the test if it succeeds. */
async function checkoutError(p: ServerPool) {
  const waiter = new ProbeWaiter()
  p.checkout(waiter)
  await until(() => waiter.answered, 'the checkout to fail')
  assert.ok(waiter.error !== undefined, 'the checkout should have failed')
  return waiter.error
}

describe('ServerConnection over a fake server: a server that goes away', () => {
  it('dies mid-reply: the waiting sink hears 08006, and a queued waiter gets a new connection', async () => {
    const { pool: p, cluster } = pool({ poolSize: 1 })
    const server = await checkout(p)
    const queued = new ProbeWaiter()
    p.checkout(queued)
    cluster.servers[0]!.dieMidReply()
    const sink = new ProbeSink()
    const replies = await sink.query(server, 'select 1')
    assert.deepEqual(summaries(replies), ['RowDescription:?column?'], 'the half DataRow is never passed on')
    assert.equal(sink.lost?.error.code, 'SERVER_CONNECTION_LOST')
    assert.equal(sink.lost?.error.sqlstate, '08006')
    assert.equal(sink.lost?.reported, false, 'the server said nothing: the gateway must tell the client')
    assert.equal(server.closed, true)
    await until(() => queued.answered, 'the queued waiter')
    assert.ok(queued.server !== undefined && queued.server !== server, 'a replacement connection')
    assert.equal(cluster.loggedIn.length, 2)
    assert.equal(p.all.size, 1)
  })

  it("the server's own FATAL reaches the sink first; the loss is then marked as reported", async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const fake = cluster.servers[0]!
    fake.hold()
    const sink = new ProbeSink()
    const reply = sink.query(server, 'select 1')
    await until(() => fake.queries().length === 1, 'the query to reach the backend')
    fake.terminate()
    assert.deepEqual(summaries(await reply), ['ErrorResponse:FATAL:57P01'])
    assert.equal(sink.lost?.reported, true)
  })

  it('an idle connection the server terminates leaves the pool; the next checkout opens another', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    p.checkin(server, 'transaction')
    cluster.servers[0]!.terminate()
    await until(() => server.closed, 'the idle connection to close')
    assert.equal(p.idle.length, 0)
    assert.equal(p.all.size, 0)
    assert.notEqual(await checkout(p), server)
  })

  it('a socket error (ECONNRESET) is a lost connection too', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const sink = new ProbeSink()
    const fake = cluster.servers[0]!
    fake.hold()
    const reply = sink.query(server, 'select 1')
    await until(() => fake.queries().length === 1, 'the query to reach the backend')
    fake.reset()
    await reply
    assert.match(sink.lost?.error.message ?? '', /socket error: read ECONNRESET/)
  })
})

describe('ServerConnection over a fake server: connecting', () => {
  it('a refused connection or login fails the checkout with the reason, and is counted', async () => {
    const cluster = new FakeCluster()
    const { pool: p } = pool({}, cluster)
    cluster.refuseConnections = true
    const refused = await checkoutError(p)
    assert.equal(refused.code, 'SERVER_UNAVAILABLE')
    assert.equal(refused.sqlstate, '08001')
    assert.match(refused.message, /could not connect to server fake:5432\/app .*ECONNREFUSED/)
    cluster.refuseConnections = false
    cluster.refuseLogins = true
    const login = await checkoutError(p)
    assert.equal(login.code, 'SERVER_AUTH_FAILED')
    assert.match(login.message, /password authentication failed for user "alice" \(SQLSTATE 28P01\)/)
    assert.equal(p.stats.checkoutErrors, 2)
    cluster.refuseLogins = false
    assert.equal((await checkout(p)).closed, false, 'the pool recovers once the server does')
  })

  it('a login that gets no answer fails after connect_timeout', async () => {
    const cluster = new FakeCluster()
    cluster.onServer = (server) => server.hold()
    const { pool: p } = pool({}, cluster, { connectTimeout: 20 })
    const error = await checkoutError(p)
    assert.match(error.message, /no answer within connect_timeout \(20 ms\)/)
    await until(() => cluster.servers[0]!.state === 'closed', 'the pipe to be closed')
  })

  it('cleartext and md5 server logins send the configured password', async () => {
    for (const auth of ['cleartext', 'md5'] as const) {
      const good = pool({}, new FakeCluster({ auth, password: 'secret' }))
      const server = await checkout(good.pool)
      assert.equal(good.cluster.servers[0]!.received[1]?.type, 'Password')
      assert.equal(server.closed, false)
      const bad = pool({}, new FakeCluster({ auth, password: 'other' }))
      const error = await checkoutError(bad.pool)
      assert.equal(error.code, 'SERVER_AUTH_FAILED', `${auth}: a wrong password is refused`)
    }
  })
})

describe('ServerConnection over a fake server: statistics, backpressure, cancel', () => {
  it('bytesSent and bytesReceived match what the backend saw; a closed connection adds to the pool', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const sink = new ProbeSink()
    await sink.query(server, 'begin')
    await sink.query(server, 'select 12345')
    p.checkin(server, 'transaction') // the ROLLBACK counts too
    await until(() => p.idle.length === 1, 'the ROLLBACK')
    const fake = cluster.servers[0]!
    assert.ok(fake.bytesReceived > 0 && fake.bytesSent > 0)
    assert.equal(server.stats.bytesSent, fake.bytesReceived)
    assert.equal(server.stats.bytesReceived, fake.bytesSent)
    assert.equal(p.totals().bytesReceived, fake.bytesSent)
    const sent = server.stats.bytesSent
    server.close()
    assert.equal(p.stats.bytesSent, sent, 'the closed connection is summed into the pool')
    assert.equal(p.totals().bytesSent, sent)
  })

  it('pause() keeps the reply from the sink until resume()', async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    const fake = cluster.servers[0]!
    const sink = new ProbeSink()
    server.pause()
    server.send(sink, serializeQuery('select 3'))
    await until(() => fake.bytesSent > 0, 'the backend to answer')
    assert.equal(sink.messages.length, 0, 'nothing delivered while paused')
    server.resume()
    await until(() => sink.readies.length === 1, 'the reply after resume')
    assert.deepEqual(summaries(sink.messages).slice(1, 2), ['DataRow:3'])
  })

  it("cancel() sends a CancelRequest with the backend's own key on a new pipe", async () => {
    const { pool: p, cluster } = pool()
    const server = await checkout(p)
    server.cancel()
    await until(() => cluster.cancels.length === 1, 'the cancel request')
    assert.equal(cluster.cancels[0]!.target, cluster.servers[0])
  })

  it('close() fails waiters with 57P01 and terminates every connection', async () => {
    const { pool: p, cluster } = pool({ poolSize: 1 })
    await checkout(p)
    const waiter = new ProbeWaiter()
    p.checkout(waiter)
    p.close()
    assert.equal(waiter.error?.sqlstate, '57P01')
    assert.equal(waiter.error?.severity, 'FATAL')
    await until(() => cluster.live.length === 0, 'every backend to close')
    assert.equal(cluster.servers[0]!.received.at(-1)?.type, 'Terminate')
  })
})
