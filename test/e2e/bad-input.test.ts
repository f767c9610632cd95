import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'

/** Logs in as the trust user over a raw socket and waits for the first ReadyForQuery. */
async function loggedIn(port: number): Promise<RawSocket> {
  const s = await RawSocket.connect(port)
  s.write(serializeStartupMessage({ user: topology().users.trust.username, database: topology().database }))
  await s.until(() => s.messages.some((m) => m.code === 'Z'))
  s.messages.length = 0
  return s
}

describe('bad input gets an error and a closed connection; others keep working', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolSize: 2 })
  })
  after(() => gw.stop())

  async function othersStillWork(): Promise<void> {
    await using c = await pgClient(gw.url('scram'))
    assert.equal((await c.query('select 41 + 1 as n')).rows[0].n, 42)
  }

  it('a startup packet with an impossible length is closed without a reply, as Postgres does', async () => {
    for (const port of [topology().primary.port, gw.port]) {
      const s = await RawSocket.connect(port)
      s.write(Buffer.from([0, 0, 0, 2, 0, 3, 0, 0]))
      await s.until(() => s.closed)
      assert.equal(Buffer.concat(s.received).length, 0, `port ${port} answered`)
    }
    await othersStillWork()
  })

  it('a startup packet with an unknown protocol version gets 0A000', async () => {
    const s = await RawSocket.connect(gw.port)
    s.write(Buffer.from([0, 0, 0, 8, 0, 9, 0, 0]))
    await s.until(() => s.closed)
    assert.equal(s.firstError()?.get('C'), '0A000')
    assert.match(s.firstError()?.get('M') ?? '', /unsupported frontend protocol 9\.0/)
  })

  it('a startup packet whose parameters are not NUL-terminated gets 08P01', async () => {
    const s = await RawSocket.connect(gw.port)
    const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user')])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(body.length + 4)
    s.write(Buffer.concat([len, body]))
    await s.until(() => s.closed)
    assert.equal(s.firstError()?.get('C'), '08P01')
    await othersStillWork()
  })

  it('a message with a bogus length after login gets 08P01 and is closed', async () => {
    const s = await loggedIn(gw.port)
    s.write(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xf0, 0x41]))
    await s.until(() => s.closed)
    assert.equal(s.firstError()?.get('C'), '08P01')
    assert.equal(s.firstError()?.get('S'), 'FATAL')
    await othersStillWork()
  })

  it('garbage after login gets 08P01 "invalid frontend message type" and is closed', async () => {
    const s = await loggedIn(gw.port)
    s.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    await s.until(() => s.closed)
    assert.equal(s.firstError()?.get('C'), '08P01')
    assert.match(s.firstError()?.get('M') ?? '', /invalid frontend message type 71/)
    await othersStillWork()
  })

  it('a wrong password gets 28P01 worded as Postgres words it', async () => {
    const t = topology()
    const url = `postgres://${t.users.scram.username}:wrong@127.0.0.1:${gw.port}/${t.database}`
    await assert.rejects(pgClient(url), (err: { code?: string; message: string }) => {
      assert.equal(err.code, '28P01')
      assert.equal(err.message, `password authentication failed for user "${t.users.scram.username}"`)
      return true
    })
  })

  it('a wrong md5 password gets 28P01', async () => {
    const t = topology()
    const url = `postgres://${t.users.md5.username}:wrong@127.0.0.1:${gw.port}/${t.database}`
    await assert.rejects(pgClient(url), { code: '28P01' })
  })

  it('an unknown user gets 28P01 without revealing that the user does not exist', async () => {
    const t = topology()
    const url = `postgres://nobody:pw@127.0.0.1:${gw.port}/${t.database}`
    await assert.rejects(pgClient(url), {
      code: '28P01',
      message: 'password authentication failed for user "nobody"',
    })
  })

  it('an unknown database gets 3D000', async () => {
    const t = topology()
    const url = `postgres://${t.users.scram.username}:${t.users.scram.password}@127.0.0.1:${gw.port}/nosuchdb`
    await assert.rejects(pgClient(url), { code: '3D000', message: 'database "nosuchdb" does not exist' })
    await othersStillWork()
  })

  it('an SSLRequest is answered N and the plaintext login then works', async () => {
    const s = await RawSocket.connect(gw.port)
    s.framing = false
    s.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]))
    await s.until(() => s.received.length > 0)
    assert.equal(Buffer.concat(s.received).toString(), 'N')
    s.framing = true
    s.write(serializeStartupMessage({ user: topology().users.trust.username, database: topology().database }))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    s.destroy()
  })
})
