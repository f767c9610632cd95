/**
 * `@neondatabase/serverless` `Pool` and `Client` over Skiff's WebSocket endpoint, with the driver's
 * default pipelined cleartext login and with `pipelineConnect: false` (SCRAM): interactive transactions,
 * named prepared statements, errors, cancel; plus what the endpoint refuses.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client, Pool } from '@neondatabase/serverless'
import WebSocket from 'ws'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { useGateway } from '../helpers/neon.js'
import { directUrl } from '../helpers/topology.js'

/**
 * The error of a failed login. With the pipelined login, `connect()` resolves before the server has
 * answered (the driver does not wait), so the error surfaces on the first query instead.
 */
async function loginError(client: Client): Promise<Error & { code?: string; hint?: string }> {
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } catch (err) {
    return err as Error & { code?: string }
  }
  assert.fail('the login should have failed')
}

for (const pipelineConnect of ['password', false] as const) {
  describe(`neon Pool/Client over WebSocket (pipelineConnect: ${pipelineConnect})`, () => {
    let gw: TestGateway
    const table = `ws_items_${pipelineConnect === false ? 'scram' : 'pipelined'}`
    before(async () => {
      gw = await startTestGateway({ poolSize: 2 })
      useGateway(gw, pipelineConnect)
      await using su = await pgClient(directUrl())
      await su.query(`drop table if exists ${table}; create table ${table} (id int primary key, v text);
        grant all on ${table} to skiff_scram, skiff_md5`)
    })
    after(() => gw.stop())

    it('interactive transactions commit and roll back, across pooled clients', async () => {
      useGateway(gw, pipelineConnect)
      const pool = new Pool({ connectionString: gw.url('scram'), max: 4 })
      try {
        const a = await pool.connect()
        await a.query('BEGIN')
        await a.query(`insert into ${table} values (1, 'rolled back')`)
        const inside = await a.query(`select count(*)::int as n from ${table}`)
        assert.equal(inside.rows[0].n, 1)
        await a.query('ROLLBACK')
        await a.query('BEGIN')
        await a.query(`insert into ${table} values ($1, $2)`, [2, 'kept'])
        const b = await pool.connect()
        const outside = await b.query(`select count(*)::int as n from ${table}`)
        assert.equal(outside.rows[0].n, 0, 'another client does not see the open transaction')
        await a.query('COMMIT')
        const after = await b.query(`select id, v from ${table}`)
        assert.deepStrictEqual(after.rows, [{ id: 2, v: 'kept' }])
        a.release()
        b.release()
      } finally {
        await pool.end()
      }
    })

    it('named prepared statements work across queries and transactions', async () => {
      useGateway(gw, pipelineConnect)
      const client = new Client(gw.url('md5'))
      await client.connect()
      try {
        for (let i = 0; i < 5; i++) {
          const r = await client.query({ name: 'add_one', text: 'select $1::int + 1 as n', values: [i] })
          assert.deepStrictEqual(r.rows, [{ n: i + 1 }])
        }
      } finally {
        await client.end()
      }
    })

    it('errors reach the client with their fields and the connection keeps working', async () => {
      useGateway(gw, pipelineConnect)
      const client = new Client(gw.url('scram'))
      await client.connect()
      try {
        await assert.rejects(client.query('select * from no_such_table'), { code: '42P01', position: '15' })
        await assert.rejects(client.query('BEGIN; select 1/0'), { code: '22012' })
        await assert.rejects(client.query('select 1'), { code: '25P02' })
        await client.query('ROLLBACK')
        assert.deepStrictEqual((await client.query('select 7 as n')).rows, [{ n: 7 }])
      } finally {
        await client.end()
      }
    })

    it('cancel stops a running query with 57014', async () => {
      useGateway(gw, pipelineConnect)
      const client = new Client(gw.url('scram'))
      await client.connect()
      try {
        const running = client.query('select pg_sleep(10)')
        await new Promise((r) => setTimeout(r, 200))
        const canceller = new Client(gw.url('scram')) as Client & { cancel(c: Client, q: unknown): void }
        canceller.cancel(client, (client as unknown as { activeQuery: unknown }).activeQuery)
        const started = Date.now()
        await assert.rejects(running, { code: '57014' })
        assert.ok(Date.now() - started < 5000)
        assert.deepStrictEqual((await client.query('select 1 as ok')).rows, [{ ok: 1 }])
      } finally {
        await client.end()
      }
    })

    it('a wrong password gets 28P01', async () => {
      useGateway(gw, pipelineConnect)
      const client = new Client(gw.url('scram').replace('skiff_scram_pw', 'wrong'))
      assert.equal((await loginError(client)).code, '28P01')
    })
  })
}

describe('WebSocket endpoint edges', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ http: 'websocket_pipelined_password = "never"' })
  })
  after(() => gw.stop())

  it('refuses a pipelined cleartext password when the policy says so, with a hint; SCRAM still works', async () => {
    useGateway(gw, 'password')
    const err = await loginError(new Client(gw.url('scram')))
    assert.equal(err.code, '28000')
    assert.match(String(err.hint), /pipelineConnect = false/)
    useGateway(gw, false)
    const scram = new Client(gw.url('scram'))
    await scram.connect()
    assert.deepStrictEqual((await scram.query('select 1 as one')).rows, [{ one: 1 }])
    await scram.end()
  })

  it('a trust user logs in with the driver defaults (its pipelined password is read and ignored)', async () => {
    const open = await startTestGateway()
    try {
      useGateway(open, 'password')
      const client = new Client(open.url('trust').replace(/:[^:@/]+@/, ':not-checked@'))
      await client.connect()
      assert.deepStrictEqual((await client.query('select current_user as u')).rows, [{ u: 'skiff_trust' }])
      await client.end()
    } finally {
      await open.stop()
    }
  })

  it('rejects text frames with a FATAL 08P01 and closes', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/v1`)
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const frames: Buffer[] = []
    ws.on('message', (data) => frames.push(data as Buffer))
    ws.send('SELECT 1')
    const code = await new Promise<number>((resolve) => ws.once('close', resolve))
    assert.equal(code, 1000)
    const reply = Buffer.concat(frames).toString('latin1')
    assert.equal(reply[0], 'E')
    assert.match(reply, /FATAL/)
    assert.match(reply, /08P01/)
    assert.match(reply, /unexpected text message/)
  })

  it('counts WebSocket clients with the others', async () => {
    useGateway(gw, false)
    const before = gw.gateway.clients.size
    const client = new Client(gw.url('scram'))
    await client.connect()
    assert.equal(gw.gateway.clients.size, before + 1)
    await client.end()
    for (let i = 0; i < 50 && gw.gateway.clients.size > before; i++)
      await new Promise((r) => setTimeout(r, 20))
    assert.equal(gw.gateway.clients.size, before)
  })
})
