/**
 * Issue 16, points 2, 4 and 16: a server connection goes back to the pool only at ReadyForQuery, idle,
 * with nothing pending, and a client's connection is released exactly when Postgres's replies say its
 * work is done, however the client's messages were cut (errors that skip to Sync, Syncs inside COPY).
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serializeQuery } from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { bind, execute, flush, parse } from '../protocol-diff/messages.js'
import { SYNC_SEQUENCES } from '../protocol-diff/sequences-sync.js'

const count = (s: RawSocket, code: string) => s.messages.filter((m) => m.code === code).length

describe('issue 16: no client pins a server connection by how it cuts its messages', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 2, queryWaitTimeout: 3000 })
  })
  after(() => gw.stop())

  for (const sequence of SYNC_SEQUENCES) {
    it(`three idle clients after "${sequence.name}" leave the pool of 2 free`, async () => {
      const clients = await Promise.all([1, 2, 3].map(() => RawSocket.login(gw.port)))
      try {
        for (const s of clients) {
          for (const step of sequence.steps) {
            const want = count(s, step.code) + step.count
            s.write(step.bytes)
            // Well within query_wait_timeout: a client that had to queue for a server would miss this.
            await s.until(() => count(s, step.code) >= want, 2000)
          }
          assert.equal(s.closed, false)
          const errors = s.messages.filter((m) => m.code === 'E').map((m) => m.body.toString('latin1'))
          assert.ok(!errors.some((e) => e.includes('53300')), `a client waited for a server: ${errors}`)
        }
        // The clients stay connected and idle: every other client must still get a server at once.
        await using other = await pgClient(gw.url('trust'))
        assert.equal((await other.query('select 42 as n')).rows[0].n, 42)
      } finally {
        for (const s of clients) s.destroy()
      }
    })
  }
})

describe('issue 16 point 2: unsynced messages never reach the next client', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 1, queryWaitTimeout: 5000 })
  })
  after(() => gw.stop())

  /** What the next client of the only server connection sees. */
  async function nextClient(): Promise<{ rows: unknown[]; pid: number; inTransaction: boolean }> {
    // The raw clients log in as the trust user: the same pool, so the same server connection.
    await using b = await pgClient(gw.url('trust'))
    const r = await b.query(
      `select 'B' as who, pg_backend_pid() as pid, txid_current_if_assigned() is not null as in_tx, now() = statement_timestamp() as fresh`,
    )
    return { rows: r.rows, pid: r.rows[0].pid, inTransaction: !r.rows[0].fresh }
  }

  async function pid(): Promise<number> {
    await using c = await pgClient(gw.url('trust'))
    return (await c.query('select pg_backend_pid() as pid')).rows[0].pid
  }

  it('BEGIN, then Parse/Bind/Execute without a Sync in the same write, then a disconnect', async () => {
    const before = await pid()
    const a = await RawSocket.login(gw.port)
    const secret = parse('', `select 'A-secret' as secret, txid_current()`)
    a.write(Buffer.concat([serializeQuery('begin'), secret, bind(''), execute('')]))
    await a.until(() => count(a, 'Z') === 1)
    await new Promise((r) => setTimeout(r, 100))
    a.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const b = await nextClient()
    assert.deepEqual(
      b.rows.map((r) => (r as { who: string }).who),
      ['B'],
    )
    assert.equal(b.inTransaction, false, "the next client must not run inside the first client's transaction")
    // Its Execute was never flushed: the gateway flushes it, rolls the transaction back and reuses the
    // connection (issue 18's connection recovery), with nothing of the first client left.
    assert.equal(b.pid, before)
  })

  it('a Query, then BEGIN and a SELECT through the extended protocol without a Sync, one write', async () => {
    const a = await RawSocket.login(gw.port)
    a.write(
      Buffer.concat([
        serializeQuery('select 1'),
        parse('', 'begin'),
        bind(''),
        execute(''),
        parse('', `select 'A-secret' as secret, txid_current()`),
        bind(''),
        execute(''),
      ]),
    )
    await a.until(() => count(a, 'Z') === 1)
    await new Promise((r) => setTimeout(r, 100))
    a.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const b = await nextClient()
    assert.deepEqual(
      b.rows.map((r) => (r as { who: string }).who),
      ['B'],
    )
    assert.equal(b.inTransaction, false)
  })

  it('a flushed batch left open inside BEGIN: rolled back, then reused', async () => {
    const before = await pid()
    const a = await RawSocket.login(gw.port)
    const secret = parse('', `select 'A-secret' as secret, txid_current()`)
    a.write(Buffer.concat([serializeQuery('begin'), secret, bind(''), execute(''), flush()]))
    await a.until(() => count(a, 'C') === 2) // BEGIN's and the SELECT's CommandComplete
    a.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const b = await nextClient()
    assert.deepEqual(
      b.rows.map((r) => (r as { who: string }).who),
      ['B'],
    )
    assert.equal(b.inTransaction, false)
    assert.equal(b.pid, before, 'the connection was rolled back and reused, not closed')
  })

  it('an error mid-batch (the server skips to a Sync), then a disconnect: synced, rolled back, reused', async () => {
    const before = await pid()
    const a = await RawSocket.login(gw.port)
    a.write(Buffer.concat([serializeQuery('begin'), parse('', 'selec 1'), bind(''), execute(''), flush()]))
    await a.until(() => count(a, 'E') === 1)
    a.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const b = await nextClient()
    assert.equal(b.inTransaction, false)
    assert.equal(b.pid, before, 'the connection was synced, rolled back and reused, not closed')
  })

  it('an INSERT executed without a Sync is rolled back when its client leaves, never committed', async () => {
    await using setup = await pgClient(gw.url('trust'))
    await setup.query('create table if not exists unsynced_insert (v text)')
    await setup.query('truncate unsynced_insert')
    const a = await RawSocket.login(gw.port)
    a.write(Buffer.concat([parse('', `insert into unsynced_insert values ('A')`), bind(''), execute('')]))
    await new Promise((r) => setTimeout(r, 150))
    a.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const rows = (await setup.query('select count(*)::int as n from unsynced_insert')).rows
    assert.equal(rows[0].n, 0)
  })
})

describe('issue 16 point 4: idle_client_in_transaction_timeout frees a client that holds a batch open', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      poolMode: 'transaction',
      poolSize: 1,
      queryWaitTimeout: 5000,
      general: 'idle_client_in_transaction_timeout = 400',
    })
  })
  after(() => gw.stop())

  it('Parse/Bind/Execute without a Sync, then silence: FATAL 25P03 and the server is free again', async () => {
    const a = await RawSocket.login(gw.port)
    a.write(Buffer.concat([parse('', 'select 1'), bind(''), execute('')]))
    await a.until(() => a.closed, 5000)
    assert.equal(a.firstError()?.get('C'), '25P03')
    await using b = await pgClient(gw.url('trust'))
    assert.equal((await b.query('select 7 as n')).rows[0].n, 7)
  })
})
