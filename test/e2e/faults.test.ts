import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serializeQuery, serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

describe('faults: dead backends and vanished clients', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 1 })
  })
  after(() => gw.stop())

  async function terminate(pid: number): Promise<void> {
    await using admin = await pgClient(directUrl())
    await admin.query('select pg_terminate_backend($1)', [pid])
  }

  it('killing the backend mid-transaction fails that client, and the next query of any client succeeds', async () => {
    await using a = await pgClient(gw.url())
    const errors: Array<{ code?: string }> = []
    a.on('error', (err) => errors.push(err as { code?: string }))
    await a.query('begin')
    const pid = (await a.query('select pg_backend_pid() as pid')).rows[0].pid
    await terminate(pid)
    // The FATAL reaches the client either as the failure of its next query or as a connection error.
    const failure = await a.query('select 1').then(
      () => undefined,
      (err: { code?: string }) => err,
    )
    assert.ok(failure !== undefined, 'the query after the kill must fail')
    const codes = [failure.code, ...errors.map((e) => e.code)]
    assert.ok(codes.includes('57P01'), `the client was told why: ${JSON.stringify(codes)}`)
    await using b = await pgClient(gw.url())
    const r = await b.query('select pg_backend_pid() as pid')
    assert.notEqual(r.rows[0].pid, pid)
  })

  it('killing the backend mid-query fails that query promptly', async () => {
    await using a = await pgClient(gw.url())
    const pid = (await a.query('select pg_backend_pid() as pid')).rows[0].pid
    const started = Date.now()
    const slow = a.query('select pg_sleep(20)').then(
      () => undefined,
      (err: { code?: string }) => err,
    )
    await new Promise((r) => setTimeout(r, 200))
    await terminate(pid)
    assert.equal((await slow)?.code, '57P01')
    assert.ok(Date.now() - started < 10_000)
    await using b = await pgClient(gw.url())
    assert.equal((await b.query('select 1 as one')).rows[0].one, 1)
  })

  it('a killed idle backend is replaced without the next client noticing', async () => {
    await using a = await pgClient(gw.url())
    const pid = (await a.query('select pg_backend_pid() as pid')).rows[0].pid
    await terminate(pid)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal((await a.query('select 2 as two')).rows[0].two, 2)
  })

  it('a client that vanishes mid-transaction leaves nothing behind: its writes are rolled back', async () => {
    const t = topology()
    await using setup = await pgClient(gw.url())
    await setup.query('create table if not exists vanish_test (id int)')
    await setup.query('truncate vanish_test')
    const raw = await RawSocket.connect(gw.port)
    raw.write(serializeStartupMessage({ user: t.users.trust.username, database: t.database }))
    await raw.until(() => raw.messages.some((m) => m.code === 'Z'))
    raw.write(serializeQuery('begin; insert into vanish_test values (1);'))
    await raw.until(() => raw.messages.filter((m) => m.code === 'Z').length >= 2)
    raw.destroy()
    await new Promise((r) => setTimeout(r, 300))
    await using b = await pgClient(gw.url())
    assert.equal((await b.query('select count(*)::int as n from vanish_test')).rows[0].n, 0)
    assert.equal((await b.query('select now() = statement_timestamp() as fresh')).rows[0].fresh, true)
  })

  it('a client that vanishes mid-query has its query cancelled and its backend recovered, never returned busy', async () => {
    await using a = await pgClient(gw.url('trust'))
    await a.query('select 1')
    const raw = await RawSocket.connect(gw.port)
    raw.write(
      serializeStartupMessage({ user: topology().users.trust.username, database: topology().database }),
    )
    await raw.until(() => raw.messages.some((m) => m.code === 'Z'))
    raw.write(serializeQuery('select pg_sleep(30) as abandoned'))
    await new Promise((r) => setTimeout(r, 200))
    raw.destroy()
    const started = Date.now()
    await a.query('select pg_backend_pid() as pid')
    assert.ok(Date.now() - started < 5000, 'the next client did not wait for the abandoned pg_sleep')
    await using admin = await pgClient(directUrl())
    let running = 1
    for (let i = 0; i < 50 && running > 0; i++) {
      await new Promise((r) => setTimeout(r, 20))
      const r = await admin.query(
        `select count(*)::int as n from pg_stat_activity where query like '%abandoned%' and state = 'active' and pid <> pg_backend_pid()`,
      )
      running = r.rows[0].n
    }
    assert.equal(running, 0, 'the abandoned query was cancelled')
  })
})
