import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { serializeNotificationResponse } from '../protocol/backend.js'
import { NotificationListener, type NotificationListenerOptions } from './notification-listener.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { sqlError } from './testing/fake-outcome.js'
import { ListenOutcome, listened, ProbeSubscriber } from './testing/listen-probes.js'
import { MemoryConnector } from './testing/memory-connector.js'
import { MEMORY_ADDRESS, MEMORY_LOGIN, memoryPool } from './testing/memory-pool.js'
import { checkout } from './testing/pool-probes.js'
import { until } from './testing/until.js'

const opened: NotificationListener[] = []
afterEach(() => {
  for (const l of opened.splice(0)) l.close()
})

/** A listener over a new fake cluster; quick reconnects, and it stays open when idle unless told. */
function setup(options: NotificationListenerOptions = {}, cluster = new FakeCluster()) {
  const timings = { minBackoffMs: 5, maxBackoffMs: 40, idleCloseMs: 60_000, ...options }
  const listener = new NotificationListener(
    'app/alice',
    MEMORY_ADDRESS,
    MEMORY_LOGIN,
    new MemoryConnector(cluster),
    timings,
  )
  opened.push(listener)
  return { listener, cluster }
}

/** The LISTEN / UNLISTEN statements a backend received. */
function requests(cluster: FakeCluster, index = 0): string[] {
  return cluster.servers[index]!.queries()
}

describe('NotificationListener over a fake server: subscribing', () => {
  it('opens one connection at the first listen() and answers once the server LISTENs', async () => {
    const { listener, cluster } = setup()
    const a = new ProbeSubscriber('a')
    assert.equal(cluster.servers.length, 0, 'nothing is opened before anyone listens')
    const first = new ListenOutcome(listener, 'Orders', a)
    assert.equal(first.settled, false, 'not before the server confirmed')
    assert.equal(await first.result(), undefined)
    assert.deepEqual(requests(cluster), ['LISTEN "Orders"'])
    assert.deepEqual([...cluster.servers[0]!.listening], ['Orders'])

    const again = new ListenOutcome(listener, 'Orders', new ProbeSubscriber('b'))
    assert.equal(again.synchronous, true, 'a channel already listened on is answered at once')
    const twice = new ListenOutcome(listener, 'Orders', a)
    assert.equal(twice.synchronous, true, 'listening twice is one subscription')
    assert.deepEqual(requests(cluster), ['LISTEN "Orders"'], 'one LISTEN per channel')
    assert.equal(cluster.servers.length, 1)
    assert.deepEqual(listener.stats(), {
      ...listener.stats(),
      channels: 1,
      subscriptions: 2,
      subscribers: 2,
      unconfirmed: 0,
      connected: true,
      serverProcessId: cluster.servers[0]!.processId,
      connects: 1,
      losses: 0,
    })
  })

  it("forPool: logs in to the pool's server as the pool does, outside its pool_size", async () => {
    const { pool, cluster } = memoryPool({ poolSize: 1 })
    const listener = NotificationListener.forPool(pool)
    opened.push(listener)
    await listened(listener, 'x', new ProbeSubscriber())
    await checkout(pool) // the pool's one connection is still there to lend
    assert.equal(cluster.loggedIn.length, 2)
    assert.equal(cluster.servers[0]!.startupParams.get('user'), 'alice')
    pool.close()
  })

  it('quotes every name, and pipelines the LISTENs of several channels', async () => {
    const { listener, cluster } = setup()
    const s = new ProbeSubscriber()
    const names = ['plain', 'Mixed', 'with "quotes"', 'semi;colon', "it's", 'ü']
    const outcomes = names.map((n) => new ListenOutcome(listener, n, s))
    for (const o of outcomes) assert.equal(await o.result(), undefined)
    assert.deepEqual(requests(cluster), [
      'LISTEN "plain"',
      'LISTEN "Mixed"',
      'LISTEN "with ""quotes"""',
      'LISTEN "semi;colon"',
      `LISTEN "it's"`,
      'LISTEN "ü"',
    ])
    assert.deepEqual([...cluster.servers[0]!.listening].sort(), [...names].sort())
    assert.deepEqual(listener.channelsOf(s).sort(), [...names].sort())
  })

  it('refuses a name Postgres would not keep, without opening anything', async () => {
    const { listener, cluster } = setup()
    for (const bad of ['', 'x'.repeat(64), 'a\0b', 'é'.repeat(32)]) {
      const o = new ListenOutcome(listener, bad, new ProbeSubscriber())
      assert.equal(o.synchronous, true)
      assert.equal(o.error?.code, 'INTERNAL', JSON.stringify(bad))
    }
    assert.equal(cluster.servers.length, 0)
  })
})

describe('NotificationListener over a fake server: dispatch', () => {
  it('hands each notification, byte for byte, to the subscribers of exactly its channel', async () => {
    const { listener, cluster } = setup()
    const [a, b, c] = [new ProbeSubscriber('a'), new ProbeSubscriber('b'), new ProbeSubscriber('c')]
    await listened(listener, 'x', a)
    await listened(listener, 'x', b)
    await listened(listener, 'X', c)
    await listened(listener, 'q"uote', c)
    const big = 'p'.repeat(7999)
    assert.equal(cluster.notify('x', 'one', 777), 1)
    cluster.notify('X', big, 778)
    cluster.notify('q"uote', '', 779)
    cluster.notify('nobody', 'lost')
    await until(() => c.got.length === 2, 'the notifications')
    assert.deepEqual(a.seen(), ['x:one'])
    assert.deepEqual(b.seen(), ['x:one'])
    assert.deepEqual(c.seen(), [`X:${big}`, 'q"uote:'])
    assert.deepEqual(a.got[0]!.bytes, serializeNotificationResponse(777, 'x', 'one'))
    assert.deepEqual(c.got[0]!.bytes, serializeNotificationResponse(778, 'X', big))
    assert.equal(a.got[0]!.bytes, b.got[0]!.bytes, 'one copy, shared')
    assert.equal(c.got[1]!.processId, 779)
    const stats = listener.stats()
    assert.equal(stats.notifications, 3)
    assert.equal(stats.deliveries, 4)
  })

  it('keeps the server order, and one throwing subscriber does not stop the others', async () => {
    const { listener, cluster } = setup()
    const bad = { onNotification: () => assert.fail('a subscriber bug') }
    const good = new ProbeSubscriber()
    await listened(listener, 'c', bad)
    await listened(listener, 'c', good)
    await listened(listener, 'd', good)
    for (let i = 0; i < 20; i++) cluster.notify(i % 2 ? 'c' : 'd', String(i))
    await until(() => good.got.length === 20, 'every notification')
    assert.deepEqual(
      good.got.map((n) => n.payload),
      Array.from({ length: 20 }, (_, i) => String(i)),
    )
  })
})

describe('NotificationListener over a fake server: unsubscribing', () => {
  it('UNLISTENs when the last subscriber leaves; a leaver gets nothing more at once', async () => {
    const { listener, cluster } = setup()
    const [a, b] = [new ProbeSubscriber('a'), new ProbeSubscriber('b')]
    await listened(listener, 'x', a)
    await listened(listener, 'x', b)
    await listened(listener, 'y', a)
    listener.unlisten('x', a)
    cluster.notify('x', '1')
    await until(() => b.got.length === 1, 'the notification')
    assert.deepEqual(a.seen(), [])
    listener.unlisten('x', b)
    listener.unlisten('x', b) // a no-op
    cluster.notify('x', 'sent before the UNLISTEN arrived')
    await until(() => !cluster.servers[0]!.listening.has('x'), 'the UNLISTEN')
    assert.deepEqual(b.seen(), ['x:1'], 'dropped: nobody listens any more')
    assert.deepEqual(requests(cluster), ['LISTEN "x"', 'LISTEN "y"', 'UNLISTEN "x"'])
    listener.unlistenAll(a)
    await until(() => cluster.servers[0]!.listening.size === 0, 'UNLISTEN "y"')
    assert.deepEqual(listener.channelsOf(a), [])
    assert.equal(listener.stats().channels, 0)
  })

  it('a channel left and listened on again while its requests are in flight ends up listened on', async () => {
    const { listener, cluster } = setup()
    const s = new ProbeSubscriber()
    await listened(listener, 'keep', s)
    const fake = cluster.servers[0]!
    fake.hold()
    listener.unlisten('keep', s)
    const again = new ListenOutcome(listener, 'keep', s)
    await until(() => fake.queries().length === 3, 'UNLISTEN and LISTEN sent')
    assert.equal(again.settled, false, 'answered only after the last request')
    fake.release()
    assert.equal(await again.result(), undefined)
    assert.deepEqual(fake.queries(), ['LISTEN "keep"', 'UNLISTEN "keep"', 'LISTEN "keep"'])
    assert.deepEqual([...fake.listening], ['keep'])
  })

  it('closes the connection when no channel is left (idleCloseMs 0), and opens a new one on demand', async () => {
    const { listener, cluster } = setup({ idleCloseMs: 0 })
    const s = new ProbeSubscriber()
    await listened(listener, 'x', s)
    listener.unlistenAll(s)
    await until(() => cluster.servers[0]!.state === 'closed', 'the idle connection to close')
    assert.equal(listener.stats().connected, false)
    assert.equal(listener.stats().losses, 0, 'closed on purpose, not lost')
    await listened(listener, 'y', s)
    assert.equal(cluster.servers.length, 2)
    assert.deepEqual(requests(cluster, 1), ['LISTEN "y"'])
  })
})

describe('NotificationListener over a fake server: losing the server', () => {
  it('reconnects after pg_terminate_backend and LISTENs on every channel again', async () => {
    const { listener, cluster } = setup()
    const [a, b] = [new ProbeSubscriber('a'), new ProbeSubscriber('b')]
    await listened(listener, 'x', a)
    await listened(listener, 'Y', b)
    cluster.servers[0]!.terminate()
    await until(() => cluster.live.length === 1 && cluster.live[0]!.listening.size === 2, 'the re-LISTENs')
    assert.deepEqual(requests(cluster, 1).sort(), ['LISTEN "Y"', 'LISTEN "x"'])
    cluster.notify('x', 'after')
    cluster.notify('Y', 'after')
    await until(() => a.got.length === 1 && b.got.length === 1, 'delivery to resume')
    const stats = listener.stats()
    assert.equal(stats.connects, 2)
    assert.equal(stats.losses, 1)
    assert.equal(stats.serverProcessId, cluster.servers[1]!.processId)
    assert.equal(stats.subscriptions, 2)
  })

  it('records listen() and unlisten() while the server is away and applies them when it is back', async () => {
    const { listener, cluster } = setup({ minBackoffMs: 20 })
    const [a, b] = [new ProbeSubscriber('a'), new ProbeSubscriber('b')]
    await listened(listener, 'gone', a)
    await listened(listener, 'stays', a)
    cluster.refuseConnections = true
    cluster.servers[0]!.disconnect()
    await until(() => listener.stats().losses === 1, 'the loss')
    listener.unlisten('gone', a)
    const confirmed = new ListenOutcome(listener, 'stays', a)
    assert.equal(confirmed.synchronous, true, 'a subscription from before the loss still stands')
    const waiting = new ListenOutcome(listener, 'new', b)
    assert.equal(waiting.settled, false)
    const refused = await waiting.result()
    assert.equal(
      refused?.code,
      'SERVER_UNAVAILABLE',
      'the next attempt failed: the waiting listen() hears it',
    )
    assert.equal(refused?.sqlstate, '08001')
    assert.deepEqual(listener.channelsOf(b), [], 'a failed listen() is undone')
    cluster.refuseConnections = false
    await until(() => cluster.live.length === 1 && cluster.live[0]!.listening.size === 1, 'the reconnect')
    assert.deepEqual(cluster.live[0]!.queries(), ['LISTEN "stays"'])
    assert.ok(cluster.opened.length >= 3, 'retried with backoff until the server was back')
  })

  it('fails a listen() at once when the first connection cannot be opened, then stays idle', async () => {
    const cluster = new FakeCluster()
    cluster.refuseLogins = true
    const { listener } = setup({}, cluster)
    const error = await new ListenOutcome(listener, 'x', new ProbeSubscriber()).result()
    assert.equal(error?.code, 'SERVER_AUTH_FAILED')
    assert.equal(listener.stats().channels, 0)
    await new Promise((r) => setTimeout(r, 60))
    assert.equal(cluster.opened.length, 1, 'no one listens: no reconnect')
  })

  it('a LISTEN the server refuses fails that listen() only; the connection serves the others', async () => {
    const cluster = new FakeCluster().handle(/"refused"/, () => sqlError('0A000', 'cannot LISTEN here'))
    const { listener } = setup({}, cluster)
    const s = new ProbeSubscriber()
    await listened(listener, 'ok', s)
    const error = await new ListenOutcome(listener, 'refused', s).result()
    assert.equal(error?.code, 'SERVER_UNAVAILABLE')
    assert.match(error?.message ?? '', /refused LISTEN: cannot LISTEN here/)
    assert.equal(error?.detail, 'SQLSTATE 0A000')
    assert.deepEqual(listener.channelsOf(s), ['ok'])
    cluster.notify('ok', 'still')
    await until(() => s.got.length === 1, 'delivery on the same connection')
    assert.equal(cluster.servers.length, 1)
  })

  it('close() fails waiting listen() calls and later ones with 57P01, and closes the connection', async () => {
    const { listener, cluster } = setup()
    const s = new ProbeSubscriber()
    await listened(listener, 'x', s)
    cluster.servers[0]!.hold()
    const waiting = new ListenOutcome(listener, 'y', s)
    listener.close()
    assert.equal((await waiting.result())?.sqlstate, '57P01')
    await until(() => cluster.servers[0]!.state === 'closed', 'the connection to close')
    const late = new ListenOutcome(listener, 'z', s)
    assert.equal(late.error?.code, 'SHUTTING_DOWN')
    assert.deepEqual(listener.channelsOf(s), [])
  })
})
