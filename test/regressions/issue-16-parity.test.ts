/**
 * Issue 16, points 8, 9 and 11: differences from Postgres that break drivers — a second FATAL after the
 * server's own, application_name, and process ids that can name a real backend.
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { parseBackendKeyData } from '../../gateway/src/protocol/backend-decode.js'
import { serializeQuery } from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function terminate(pid: number): Promise<void> {
  await using admin = await pgClient(directUrl())
  await admin.query('select pg_terminate_backend($1)', [pid])
}

/** The text of the first column of the first DataRow after message index `from`. */
function firstValue(s: RawSocket, from = 0): string | null {
  const row = s.messages.slice(from).find((m) => m.code === 'D')
  if (row === undefined) return null
  const length = row.body.readInt32BE(7)
  return length < 0 ? null : row.body.toString('utf8', 11, 11 + length)
}

async function query(s: RawSocket, sql: string): Promise<string | null> {
  const from = s.messages.length
  const want = s.messages.filter((m) => m.code === 'Z').length + 1
  s.write(serializeQuery(sql))
  await s.until(() => s.messages.filter((m) => m.code === 'Z').length >= want)
  return firstValue(s, from)
}

for (const poolMode of ['transaction', 'session'] as const) {
  describe(`issue 16 point 8: one FATAL when the backend is terminated (${poolMode} mode)`, () => {
    let gw: TestGateway
    before(async () => {
      gw = await startTestGateway({ poolMode, poolSize: 2 })
    })
    after(() => gw.stop())

    it('idle in a transaction: exactly the messages Postgres sends (one FATAL 57P01), then a close', async () => {
      const seen: string[][] = []
      for (const port of [topology().primary.port, gw.port]) {
        const s = await RawSocket.login(port)
        await query(s, 'begin')
        const pid = Number(await query(s, 'select pg_backend_pid()'))
        const from = s.messages.length
        await terminate(pid)
        await s.until(() => s.closed, 5000)
        const after = s.messages.slice(from)
        seen.push(after.map((m) => `${m.code}${m.code === 'E' ? s.firstError()?.get('C') : ''}`))
        assert.equal(
          after.filter((m) => m.code === 'E').length,
          1,
          `port ${port}: ${after.map((m) => m.code)}`,
        )
      }
      assert.deepEqual(seen[1], seen[0])
    })

    it('node-postgres emits the same error events as with Postgres directly (no extra FATAL)', async () => {
      const seen: string[][] = []
      for (const url of [directUrl(), gw.url()]) {
        const c = new pg.Client({ connectionString: url })
        const errors: string[] = []
        c.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? e.message))
        await c.connect()
        await c.query('begin')
        const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid
        await terminate(pid)
        await sleep(300)
        seen.push(errors)
        await c.end().catch(() => {})
      }
      assert.ok(seen[0]!.includes('57P01'), JSON.stringify(seen))
      assert.deepEqual(seen[1], seen[0])
    })

    it('in the middle of a query: its error is 57P01, and nothing follows it', async () => {
      const s = await RawSocket.login(gw.port)
      const pid = Number(await query(s, 'select pg_backend_pid()'))
      const from = s.messages.length
      s.write(serializeQuery('select pg_sleep(20)'))
      await sleep(200)
      await terminate(pid)
      await s.until(() => s.closed, 5000)
      const errors = s.messages.slice(from).filter((m) => m.code === 'E')
      assert.equal(errors.length, 1)
      assert.match(errors[0]!.body.toString('latin1'), /C57P01/)
    })
  })

  describe(`issue 16 point 9: application_name is the client's own (${poolMode} mode)`, () => {
    let gw: TestGateway
    before(async () => {
      gw = await startTestGateway({ poolMode, poolSize: 1 })
    })
    after(() => gw.stop())

    it('a client that sends none reads what Postgres gives it: the empty default', async () => {
      const direct = await RawSocket.login(topology().primary.port)
      const expected = await query(direct, 'show application_name')
      direct.destroy()
      assert.equal(expected, '')
      const s = await RawSocket.login(gw.port)
      assert.equal(await query(s, 'show application_name'), expected)
      s.destroy()
    })

    it('its own value, and an empty one after another client used the same server with its own', async () => {
      const a = await RawSocket.login(gw.port, { application_name: 'client-a' })
      assert.equal(await query(a, 'show application_name'), 'client-a')
      a.destroy()
      await sleep(100)
      const b = await RawSocket.login(gw.port)
      assert.equal(await query(b, 'show application_name'), '')
      assert.equal(
        await query(b, 'select application_name from pg_stat_activity where pid = pg_backend_pid()'),
        '',
      )
      b.destroy()
    })

    it('an explicit empty application_name is kept as sent', async () => {
      const s = await RawSocket.login(gw.port, { application_name: '' })
      assert.equal(await query(s, 'show application_name'), '')
      s.destroy()
    })
  })
}

describe('issue 16 point 11: client process ids no backend can have', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.stop())

  it('BackendKeyData carries a pid above 4,194,304; pg_terminate_backend of it touches nothing', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => RawSocket.login(gw.port)))
    await using admin = await pgClient(directUrl())
    const backends = async () =>
      (await admin.query('select count(*)::int as n from pg_stat_activity')).rows[0].n as number
    const before = await backends()
    for (const s of clients) {
      const key = s.welcome.find((m) => m.code === 'K')!
      const [pid] = parseBackendKeyData(key.body, 0, key.body.length)
      assert.ok(pid > 4_194_304, `pid ${pid}`)
      const r = await admin.query('select pg_terminate_backend($1) as killed', [pid])
      assert.equal(r.rows[0].killed, false)
    }
    assert.equal(await backends(), before)
    for (const s of clients) s.destroy()
  })
})
