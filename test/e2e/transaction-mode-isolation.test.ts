import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

// One server connection, so every client's transactions land on the same backend: whatever one client
// leaves behind would be seen by the next unless the gateway cleans it. Pinning is off here (with it,
// the second client would wait for the one connection a pinned client keeps: see session-pinning.test.ts).
describe('transaction mode: session state never leaks between clients', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      poolMode: 'transaction',
      poolSize: 1,
      general: 'pin_session_state = false',
    })
  })
  after(() => gw.stop())

  async function backendPid(url: string): Promise<number> {
    await using c = await pgClient(url)
    return (await c.query('select pg_backend_pid() as pid')).rows[0].pid
  }

  it('both clients really share one backend', async () => {
    assert.equal(await backendPid(gw.url()), await backendPid(gw.url()))
  })

  it('a SET by one client is not visible to another', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    const before = (await b.query('show work_mem')).rows[0].work_mem
    await a.query(`set work_mem = '12345kB'`)
    assert.equal((await b.query('show work_mem')).rows[0].work_mem, before)
    assert.notEqual(before, '12345kB')
  })

  it('a set_config() by one client is not visible to another', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query(`select set_config('search_path', 'leaked', false)`)
    assert.notEqual((await b.query('show search_path')).rows[0].search_path, 'leaked')
  })

  it('a temp table made by one client is not visible to another', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query('create temp table only_mine (x int)')
    await assert.rejects(b.query('select * from only_mine'), { code: '42P01' })
  })

  it('an advisory lock taken by one client does not stay held for the next', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query('select pg_advisory_lock(4242)')
    const r = await b.query(
      `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4242`,
    )
    assert.equal(r.rows[0].n, 0)
  })

  it('LISTEN by one client leaves no channel for another', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query('listen leaked_channel')
    const r = await b.query('select count(*)::int as n from pg_listening_channels()')
    assert.equal(r.rows[0].n, 0)
  })

  it('a client keeps its own TimeZone across transactions, others keep theirs', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query(`set timezone = 'Asia/Tokyo'`)
    assert.notEqual((await b.query('show timezone')).rows[0].TimeZone, 'Asia/Tokyo')
    assert.equal((await a.query('show timezone')).rows[0].TimeZone, 'Asia/Tokyo')
  })

  it('application_name from the startup packet is applied on whichever backend serves the client', async () => {
    const base = gw.url()
    await using a = await pgClient(`${base}?application_name=client_a`)
    await using b = await pgClient(`${base}?application_name=client_b`)
    assert.equal((await a.query('show application_name')).rows[0].application_name, 'client_a')
    assert.equal((await b.query('show application_name')).rows[0].application_name, 'client_b')
    assert.equal(
      (await a.query('select current_setting($1) as v', ['application_name'])).rows[0].v,
      'client_a',
    )
  })

  it('an open transaction keeps its backend: other clients wait, then run', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    await a.query('begin')
    const pidA = (await a.query('select pg_backend_pid() as pid')).rows[0].pid
    const bQuery = b.query('select pg_backend_pid() as pid')
    await new Promise((r) => setTimeout(r, 100))
    await a.query(`set local work_mem = '7777kB'`)
    assert.equal((await a.query('show work_mem')).rows[0].work_mem, '7777kB')
    await a.query('commit')
    assert.equal((await bQuery).rows[0].pid, pidA)
    assert.notEqual((await b.query('show work_mem')).rows[0].work_mem, '7777kB')
  })
})
