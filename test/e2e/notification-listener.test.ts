/**
 * The pool's NotificationListener against the topology's primary: subscribers on different channels
 * (mixed case, a double quote in the name, a 63-byte name) get exactly the notifications of their
 * channels, byte for byte what Postgres sends a direct LISTEN client, with the notifier's process id;
 * a NOTIFY right after listen() answered is delivered; after pg_terminate_backend of the listener's
 * backend it comes back, LISTENs again and delivery goes on.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { NotificationListener } from '../../gateway/src/pool/notification-listener.js'
import type { ServerAddress, ServerLogin } from '../../gateway/src/pool/server-address.js'
import { listened, ProbeSubscriber } from '../../gateway/src/pool/testing/listen-probes.js'
import { until } from '../../gateway/src/pool/testing/until.js'
import { serializeNotificationResponse } from '../../gateway/src/protocol/backend.js'
import { pgClient } from '../helpers/clients.js'
import { directUrl, topology } from '../helpers/topology.js'

const MIXED = 'Mixed Case'
const QUOTED = 'say "hi"'
const LONG = `L${'o'.repeat(61)}g`
const PLAIN = 'plain'
/** The longest payload Postgres takes: it refuses 8000 bytes and more. */
const BIG = 'x'.repeat(7999)
const WIDE = 'é'.repeat(3999) // 7998 bytes

/** Waits for `predicate`, polling (socket events do not wake `until`). */
async function poll(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `channel|payload|pid` of what a direct pg client received. */
type Seen = string

describe('NotificationListener against Postgres', () => {
  let listener: NotificationListener
  let notifier: pg.Client & AsyncDisposable
  let direct: pg.Client & AsyncDisposable
  let notifierPid: number
  const directSeen: Seen[] = []
  const one = new ProbeSubscriber('one')
  const two = new ProbeSubscriber('two')

  before(async () => {
    const t = topology()
    const su = t.users.superuser
    const address: ServerAddress = {
      host: '127.0.0.1',
      port: t.primary.port,
      role: 'primary',
      database: t.database,
      shard: 0,
    }
    const login: ServerLogin = {
      username: su.username,
      password: su.password,
      applicationName: 'skiff-listener-test',
      statementTimeout: 0,
      connectTimeout: 5000,
    }
    listener = new NotificationListener('e2e/listener', address, login, undefined, { minBackoffMs: 50 })
    notifier = await pgClient(directUrl())
    notifierPid = (await notifier.query('select pg_backend_pid() as pid')).rows[0].pid
    direct = await pgClient(directUrl())
    direct.on('notification', (n) => directSeen.push(`${n.channel}|${n.payload}|${n.processId}`))
    for (const ch of [MIXED, QUOTED, LONG, PLAIN]) await direct.query(`listen "${ch.replaceAll('"', '""')}"`)
  })

  after(async () => {
    listener.close()
    await notifier[Symbol.asyncDispose]()
    await direct[Symbol.asyncDispose]()
  })

  async function notify(channel: string, payload: string): Promise<void> {
    await notifier.query('select pg_notify($1, $2)', [channel, payload])
  }

  /** What `sub` got since `from`, as the direct client's strings. */
  const seen = (sub: ProbeSubscriber, from = 0): Seen[] =>
    sub.got.slice(from).map((n) => `${n.channel}|${n.payload}|${n.processId}`)

  it('delivers a NOTIFY sent right after listen() answered', async () => {
    await listened(listener, MIXED, one)
    await notify(MIXED, 'first')
    await until(() => one.got.length === 1, 'the first notification', 5000)
    assert.deepEqual(seen(one), [`${MIXED}|first|${notifierPid}`])
  })

  it('hands each subscriber exactly its channels, byte for byte as Postgres sends them', async () => {
    await listened(listener, QUOTED, one)
    await listened(listener, LONG, two)
    await listened(listener, PLAIN, two)
    const [from1, from2, fromDirect] = [one.got.length, two.got.length, directSeen.length]
    const sent: Array<[string, string]> = [
      [MIXED, BIG],
      [PLAIN, 'p'],
      [QUOTED, WIDE],
      [LONG, ''],
      ['mixed case', 'nobody listens on the lower-case name'],
      [MIXED, 'last'],
    ]
    for (const [channel, payload] of sent) await notify(channel, payload)
    await poll(() => directSeen.length - fromDirect === 5, 'the direct client')
    await until(() => one.got.length - from1 === 3 && two.got.length - from2 === 2, 'the subscribers', 5000)
    const expected = (chs: string[]) =>
      sent.filter(([c]) => chs.includes(c)).map(([c, p]) => `${c}|${p}|${notifierPid}`)
    assert.deepEqual(seen(one, from1), expected([MIXED, QUOTED]))
    assert.deepEqual(seen(two, from2), expected([LONG, PLAIN]))
    assert.deepEqual(
      directSeen.slice(fromDirect),
      expected([MIXED, QUOTED, LONG, PLAIN]),
      'a direct LISTEN client got the same',
    )
    for (const n of [...one.got.slice(from1), ...two.got.slice(from2)])
      assert.deepEqual(n.bytes, serializeNotificationResponse(notifierPid, n.channel, n.payload))
    await assert.rejects(notify(MIXED, 'y'.repeat(8000)), /payload string too long/)
  })

  it('comes back after pg_terminate_backend, LISTENs again, and delivery goes on', async () => {
    const before = listener.stats()
    assert.equal(before.connected, true)
    assert.equal(before.channels, 4)
    const killed = before.serverProcessId
    await notifier.query('select pg_terminate_backend($1)', [killed])
    await poll(() => listener.stats().connects === before.connects + 1, 'the reconnect')
    await poll(() => {
      const s = listener.stats()
      return s.connected && s.serverProcessId !== killed
    }, 'the new connection')
    const channels = await notifier.query('select count(*)::int as n from pg_stat_activity where pid = $1', [
      listener.stats().serverProcessId,
    ])
    assert.equal(channels.rows[0].n, 1, 'the new backend is a real one')
    // A new subscriber's listen() is answered once the server LISTENs again on the channel.
    const three = new ProbeSubscriber('three')
    await listened(listener, QUOTED, three)
    await listened(listener, PLAIN, three)
    const [from1, from2] = [one.got.length, two.got.length]
    await notify(QUOTED, 'after')
    await notify(PLAIN, 'after')
    await until(() => one.got.length > from1 && two.got.length > from2, 'delivery after the kill', 5000)
    assert.deepEqual(seen(one, from1), [`${QUOTED}|after|${notifierPid}`])
    assert.deepEqual(seen(two, from2), [`${PLAIN}|after|${notifierPid}`])
    await until(() => three.got.length === 2, 'delivery to the new subscriber', 5000)
    listener.unlistenAll(three)
    assert.equal(listener.stats().losses, before.losses + 1)
  })

  it('unlisten stops delivery at once, for that subscriber only', async () => {
    listener.unlistenAll(one)
    const from1 = one.got.length
    await notify(MIXED, 'after unlisten')
    await notify(PLAIN, 'still')
    await poll(() => two.got.some((n) => n.payload === 'still'), 'the notification for two')
    assert.equal(one.got.length, from1)
    assert.deepEqual(listener.channelsOf(one), [])
    assert.deepEqual(listener.channelsOf(two).sort(), [LONG, PLAIN].sort())
    const stats = listener.stats()
    assert.deepEqual([stats.channels, stats.subscriptions, stats.subscribers], [2, 2, 1])
  })
})
