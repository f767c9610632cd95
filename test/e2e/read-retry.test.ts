/**
 * A read whose replica dies before answering is run again on another candidate, outside a
 * transaction, so the client never sees the failure (issue 19, health). One "replica" is a relay in
 * front of a real one that drops the connection when a query marked `kill_me` reaches it: the
 * server is gone before any byte of the answer came back.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

/** A relay to `port` that drops both sides when the client's bytes contain `kill_me`. */
async function killingRelay(port: number): Promise<{ port: number; kills: () => number; close(): void }> {
  let kills = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    client.on('data', (chunk) => {
      if (chunk.includes('kill_me')) {
        kills++
        client.destroy()
        upstream.destroy()
      } else upstream.write(chunk)
    })
    upstream.pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    kills: () => kills,
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

describe('a read retried on another candidate when its replica dies unheard', () => {
  let gw: TestGateway
  let relay: Awaited<ReturnType<typeof killingRelay>>
  const t = () => topology()
  before(async () => {
    relay = await killingRelay(t().replicas[0]!.port)
    gw = await startTestGateway({
      pool: 'query_parser_enabled = true\nquery_parser_read_write_splitting = true',
      serverList: `["127.0.0.1", ${t().primary.port}, "primary"], ["127.0.0.1", ${relay.port}, "replica"], ["127.0.0.1", ${t().replicas[1]!.port}, "replica"]`,
    })
  })
  after(async () => {
    await gw?.stop()
    relay?.close()
  })

  for (const mode of ['simple', 'extended'] as const) {
    it(`${mode} protocol: 40 reads, the killed ones answered by the other replica`, async () => {
      const c = new pg.Client(gw.url())
      await c.connect()
      const before = relay.kills()
      const ports = new Set<number>()
      for (let i = 0; i < 40; i++) {
        const sql = "select 'kill_me' as k, inet_server_port() as port"
        const r =
          mode === 'simple'
            ? await c.query(sql)
            : await c.query({ text: `${sql} where $1::int >= 0`, values: [i] })
        ports.add(Number(r.rows[0].port))
      }
      await c.end()
      assert.ok(relay.kills() > before, 'some reads went to the dying replica')
      assert.deepEqual([...ports], [t().replicas[1]!.port], 'every answer came from the other replica')
    })
  }

  it('a read inside a transaction is not retried: the client is told', async () => {
    const c = new pg.Client(gw.url())
    await c.connect()
    c.on('error', () => {})
    await c.query('begin read only')
    let failed = 0
    for (let i = 0; i < 20 && failed === 0; i++) {
      // Each transaction lands on one replica at random; only the relay's fail.
      await c.query("select 'kill_me'").catch(() => failed++)
      if (failed === 0) await c.query('commit').then(() => c.query('begin read only'))
    }
    assert.equal(failed, 1, 'the transaction on the dying replica failed instead of running twice')
    await c.end().catch(() => {})
  })
})
