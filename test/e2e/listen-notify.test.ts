import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

/** Waits for `ok()` (a notification crosses two connections and the gateway). */
async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Records what a client receives: [channel, payload]. */
function record(c: pg.Client): Array<[string, string]> {
  const got: Array<[string, string]> = []
  c.on('notification', (n) => got.push([n.channel, n.payload ?? '']))
  return got
}

describe('LISTEN/NOTIFY in transaction mode (10 listeners over a pool of 2)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 2 })
  })
  after(() => gw.stop())

  const channels = ['alpha', 'Beta Quoted', 'gamma']
  const quoted = (ch: string) => `"${ch.replaceAll('"', '""')}"`

  it('each notification reaches exactly the clients listening on its channel, also after the listener is killed', async () => {
    const t = topology()
    const pool = gw.gateway.pools.get(t.database, t.users.scram.username)!
    const listeners = await Promise.all(Array.from({ length: 10 }, () => pgClient(gw.url())))
    const notifier = await pgClient(gw.url())
    try {
      const received = listeners.map(record)
      // Client i listens on channel i % 3; client 9 also on every channel, then leaves gamma.
      for (const [i, c] of listeners.entries()) await c.query(`LISTEN ${quoted(channels[i % 3]!)}`)
      for (const ch of channels) await listeners[9]!.query(`LISTEN ${quoted(ch)}`)
      await listeners[9]!.query(`UNLISTEN ${quoted('gamma')}`)
      // The listeners keep running transactions meanwhile: delivery waits for their ends.
      const busy = Promise.all(listeners.map((c) => c.query('select pg_sleep(0.05)')))
      const big = 'x'.repeat(7999)
      for (const ch of channels) await notifier.query('select pg_notify($1, $2)', [ch, `to ${ch}`])
      await notifier.query(`NOTIFY ${quoted('Beta Quoted')}, '${big}'`)
      await busy
      const expected = (i: number): Array<[string, string]> => {
        const mine = i === 9 ? ['alpha', 'Beta Quoted'] : [channels[i % 3]!]
        const out: Array<[string, string]> = mine.map((ch) => [ch, `to ${ch}`])
        if (mine.includes('Beta Quoted')) out.push(['Beta Quoted', big])
        return out
      }
      for (const [i] of listeners.entries())
        await until(() => received[i]!.length >= expected(i).length, `client ${i}'s notifications`)
      await new Promise((r) => setTimeout(r, 100)) // nothing more arrives
      for (const [i] of listeners.entries()) assert.deepEqual(received[i], expected(i), `client ${i}`)
      assert.ok(pool.pins.current === 0, 'LISTEN through the gateway pins nobody')

      // Kill the listener connection: it comes back and listens again.
      const listener = pool.listener!
      const before = listener.stats().serverProcessId
      await using admin = await pgClient(directUrl())
      await admin.query('select pg_terminate_backend($1)', [before])
      await until(
        // Reconnected and listening again: a NOTIFY sent before its LISTENs are answered is not
        // delivered (as to a new Postgres session), so the test waits for them.
        () => {
          const stats = listener.stats()
          return stats.connected && stats.serverProcessId !== before && stats.unconfirmed === 0
        },
        'the listener to reconnect and listen again',
        8000,
      )
      for (const r of received) r.length = 0
      await notifier.query(`NOTIFY alpha, 'after'`)
      const alpha = [0, 3, 6, 9]
      for (const i of alpha) await until(() => received[i]!.length === 1, `client ${i} after the reconnect`)
      await new Promise((r) => setTimeout(r, 100))
      for (const [i, r] of received.entries())
        assert.deepEqual(r, alpha.includes(i) ? [['alpha', 'after']] : [], `client ${i} after the reconnect`)

      // UNLISTEN * and leaving drop a client's channels.
      await listeners[0]!.query('UNLISTEN *')
      await listeners[3]!.end()
      await notifier.query(`NOTIFY alpha, 'last'`)
      await until(() => received[6]!.length === 2, 'client 6')
      await new Promise((r) => setTimeout(r, 100))
      assert.deepEqual(received[0], [['alpha', 'after']])
    } finally {
      await Promise.all([...listeners, notifier].map((c) => c.end().catch(() => {})))
    }
  })

  it('LISTEN and UNLISTEN reply as Postgres does, a long channel name with its 42622 notice', async () => {
    const replies: string[][] = []
    for (const url of [directUrl(), gw.url()]) {
      await using c = await pgClient(url)
      const notices: string[] = []
      c.on('notice', (n) => notices.push(`${n.code}:${n.message}`))
      const long = 'c'.repeat(70)
      const a = await c.query(`LISTEN ${long}`)
      const b = await c.query(`UNLISTEN ${long}`)
      const d = await c.query('UNLISTEN *')
      replies.push([a.command, b.command, d.command, ...notices])
    }
    assert.deepEqual(replies[1], replies[0])
  })

  it('a LISTEN inside a transaction block goes to the server and pins the client until UNLISTEN', async () => {
    const t = topology()
    const pool = gw.gateway.pools.get(t.database, t.users.scram.username)!
    await using c = await pgClient(gw.url())
    const got = record(c)
    await c.query('begin')
    await c.query('listen in_txn')
    await c.query('commit')
    await until(() => pool.pins.current === 1, 'the pin')
    await using n = await pgClient(gw.url())
    await n.query(`notify in_txn, 'hello'`)
    await until(() => got.length === 1, 'the notification through the pinned server')
    assert.deepEqual(got, [['in_txn', 'hello']])
    await c.query('begin')
    await c.query('unlisten in_txn')
    await c.query('commit')
    await until(() => pool.pins.current === 0, 'the unpin')
  })
})
