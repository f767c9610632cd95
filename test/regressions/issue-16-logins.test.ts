/**
 * Issue 16, points 5, 6, 10 and 12: what a client can do before it has logged in. A login has a
 * deadline; connections count against max_client_conn from accept; the gateway keeps descriptors for
 * its servers; no message before login can be larger than Postgres allows; bytes that are not a
 * startup packet are closed on silently; a second StartupMessage or SSLRequest never starts a new login.
 * @module
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import {
  serializeCancelRequest,
  serializeQuery,
  serializeStartupMessage,
  serializeTerminate,
} from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway, testConfigText } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
const startup = (user: string) => serializeStartupMessage({ user, database: topology().database })
/** A message header announcing a length near 1 GiB (`p` with length 0x3fffffff), and no body yet. */
const HUGE_PASSWORD_HEADER = Buffer.from([0x70, 0x3f, 0xff, 0xff, 0xff])

const sqlstate = (s: RawSocket) => s.firstError()?.get('C')
const received = (s: RawSocket) => Buffer.concat(s.received).length
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('issue 16 point 5: client_login_timeout', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ general: 'client_login_timeout = 300' })
  })
  after(() => gw.stop())

  it('a socket that sends nothing is closed, silently, as Postgres closes it', async () => {
    const s = await RawSocket.connect(gw.port)
    await s.until(() => s.closed, 3000)
    assert.equal(received(s), 0)
  })

  it('half a StartupMessage, then nothing: closed silently', async () => {
    const s = await RawSocket.connect(gw.port)
    s.write(startup(topology().users.scram.username).subarray(0, 10))
    await s.until(() => s.closed, 3000)
    assert.equal(received(s), 0)
  })

  it('a login stopped in the middle of SCRAM gets FATAL 57014 "canceling authentication due to timeout"', async () => {
    const s = await RawSocket.connect(gw.port)
    s.write(startup(topology().users.scram.username))
    await s.until(() => s.closed, 3000)
    assert.equal(sqlstate(s), '57014')
    assert.equal(s.firstError()?.get('M'), 'canceling authentication due to timeout')
    assert.equal(s.firstError()?.get('S'), 'FATAL')
  })

  it('a client that logged in in time is not affected by the deadline', async () => {
    await using c = await pgClient(gw.url())
    await sleep(600)
    assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
  })
})

describe('issue 16 point 5: max_client_conn counts connections from accept', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ general: 'max_client_conn = 3\nclient_login_timeout = 1500' })
  })
  after(() => gw.stop())

  it('three silent sockets take the three slots: the next client gets 53300 until they time out', async () => {
    const silent = await Promise.all([1, 2, 3].map(() => RawSocket.connect(gw.port)))
    await sleep(50)
    assert.equal(gw.gateway.connectionCount, 3)
    await assert.rejects(pgClient(gw.url()), (err: { code?: string; message: string }) => {
      assert.equal(err.code, '53300')
      assert.match(err.message, /too many clients already/)
      return true
    })
    for (const s of silent) await s.until(() => s.closed, 4000)
    await using c = await pgClient(gw.url())
    assert.equal((await c.query('select 2 as two')).rows[0].two, 2)
  })

  it('every connection that closes gives its slot back, logged in or not', async () => {
    const raw = await RawSocket.connect(gw.port)
    const c = await pgClient(gw.url())
    await sleep(50)
    assert.equal(gw.gateway.connectionCount, 2)
    raw.destroy()
    await c.end()
    await sleep(100)
    assert.equal(gw.gateway.connectionCount, 0)
  })
})

describe('issue 16 point 5: a descriptor reserve for server connections', () => {
  it('under a low open-file limit, a flood of silent sockets cannot stop logged-in clients reaching servers', {
    timeout: 30_000,
  }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skiff-fd-'))
    const config = path.join(dir, 'fd.toml')
    writeFileSync(config, testConfigText({ poolSize: 8 }))
    const skiff = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')
    const child = spawn('prlimit', ['--nofile=160:160', 'node', skiff, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const sockets: RawSocket[] = []
    try {
      const port = await listeningPort(() => stderr)
      assert.match(stderr, /max_client_conn lowered to fit the open-file limit/)
      const url = userUrl(port)
      const [a, b] = [await pgClient(url), await pgClient(url)]
      for (let i = 0; i < 200; i++) sockets.push(await RawSocket.connect(port).catch(() => sockets[0]!))
      await sleep(200)
      // Both clients need a server connection of their own at once: the pool must open a new one.
      await a.query('begin')
      await a.query('select 1')
      assert.equal((await b.query('select 2 as two')).rows[0].two, 2)
      await a.query('commit')
      await a.end()
      await b.end()
      assert.doesNotMatch(stderr, /EMFILE/)
    } finally {
      for (const s of sockets) s.destroy()
      child.kill('SIGTERM')
      await new Promise((r) => child.on('exit', r))
    }
  })
})

/** Waits for the CLI's "listening on" line and returns the port. */
function listeningPort(stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const poll = setInterval(() => {
      const m = /listening on [\d.]+:(\d+) \(Postgres/.exec(stderr())
      if (m) {
        clearInterval(poll)
        resolve(Number(m[1]))
      } else if (Date.now() - started > 10_000) {
        clearInterval(poll)
        reject(new Error(`no listening line: ${stderr()}`))
      }
    }, 50)
  })
}

function userUrl(port: number): string {
  const { users, database } = JSON.parse(readFileSync(process.env.SKIFF_TOPOLOGY_FILE!, 'utf8'))
  return `postgres://${users.scram.username}:${encodeURIComponent(users.scram.password)}@127.0.0.1:${port}/${database}`
}

describe('issue 16 point 6: no large message before login', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.stop())

  for (const [method, user] of [
    ['SCRAM', 'scram'],
    ['md5', 'md5'],
  ] as const) {
    it(`a ${method} login announcing a 1 GiB message is closed at once with a FATAL, not buffered`, async () => {
      const s = await RawSocket.connect(gw.port)
      s.write(startup(topology().users[user].username))
      await s.until(() => s.messages.some((m) => m.code === 'R'))
      s.write(HUGE_PASSWORD_HEADER)
      let streaming = true
      const stream = (async () => {
        // Keep streaming: the gateway must not wait for the rest of the message.
        for (let i = 0; i < 200 && streaming && !s.closed; i++) {
          s.write(Buffer.alloc(64 * 1024, 0x61))
          await sleep(5)
        }
      })()
      await s.until(() => s.closed, 3000)
      streaming = false
      await stream
      assert.equal(s.firstError()?.get('S'), 'FATAL')
      assert.ok(['08P01', '28P01'].includes(sqlstate(s) ?? ''), `got ${sqlstate(s)}`)
    })
  }

  it('over WebSocket, a message larger than a login needs closes the socket before it is buffered', {
    timeout: 10_000,
  }, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/v2`)
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.send(startup(topology().users.scram.username))
    ws.send(Buffer.alloc(8 * 1024 * 1024, 0x70))
    assert.equal(await closed, 1009, 'ws refuses the frame from its header (message too big)')
  })

  it('over WebSocket, an oversized protocol message in a small frame gets a FATAL too', {
    timeout: 10_000,
  }, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/v2`)
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    const frames: Buffer[] = []
    ws.on('message', (d: Buffer) => frames.push(d))
    const closed = new Promise<void>((r) => ws.once('close', () => r()))
    ws.send(startup(topology().users.md5.username))
    await sleep(100)
    ws.send(HUGE_PASSWORD_HEADER)
    await closed
    const all = Buffer.concat(frames).toString('latin1')
    assert.match(all, /FATAL/)
    assert.match(all, /C08P01/)
  })

  it('after login, a 16 MiB query still works', async () => {
    await using c = await pgClient(gw.url())
    const big = 'x'.repeat(16 * 1024 * 1024)
    const r = await c.query(`select length('${big}') as n`)
    assert.equal(r.rows[0].n, big.length)
  })
})

describe('issue 16 points 10 and 12: bytes that are not a login, and a second login', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.stop())

  /** Runs `steps` against Postgres and against Skiff; returns what each answered. */
  async function both(steps: (s: RawSocket) => Promise<void>): Promise<RawSocket[]> {
    const out: RawSocket[] = []
    for (const port of [topology().primary.port, gw.port]) {
      const s = await RawSocket.connect(port)
      await steps(s)
      await s.until(() => s.closed, 3000)
      out.push(s)
    }
    return out
  }

  it('a Terminate before any StartupMessage: closed without a reply, as Postgres does', async () => {
    const [pg, skiff] = await both(async (s) => s.write(serializeTerminate()))
    assert.equal(received(pg!), 0)
    assert.equal(received(skiff!), 0)
  })

  it('a second SSLRequest is refused with 0A000, as Postgres refuses it', async () => {
    const [pg, skiff] = await both(async (s) => {
      s.framing = false
      s.write(SSL_REQUEST)
      await s.until(() => received(s) > 0)
      s.framing = true
      s.write(SSL_REQUEST)
    })
    for (const s of [pg!, skiff!]) {
      const body = Buffer.concat(s.received).subarray(1).toString('latin1')
      assert.match(body, /C0A000/)
      assert.match(body, /unsupported frontend protocol 1234\.5679/)
    }
  })

  for (const [name, bytes] of [
    ['StartupMessage (as another user)', () => startup(topology().users.md5.username)],
    ['SSLRequest', () => SSL_REQUEST],
    ['CancelRequest', () => serializeCancelRequest(1, 2)],
  ] as const) {
    it(`a ${name} after login is a protocol violation: 08P01 and a close, never a new login`, async () => {
      const [pg, skiff] = await both(async (s) => {
        s.write(startup(topology().users.trust.username))
        await s.until(() => s.messages.some((m) => m.code === 'Z'))
        s.messages.length = 0
        s.write(bytes())
        s.write(serializeQuery('select 1'))
      })
      for (const s of [pg!, skiff!]) {
        assert.equal(sqlstate(s), '08P01')
        assert.equal(s.messages.filter((m) => m.code === 'R' || m.code === 'Z').length, 0, 'no new login')
      }
    })

    it(`a ${name} in the middle of a SCRAM login: 08P01 and a close`, async () => {
      const [pg, skiff] = await both(async (s) => {
        s.write(startup(topology().users.scram.username))
        await s.until(() => s.messages.some((m) => m.code === 'R'))
        s.write(bytes())
      })
      assert.equal(sqlstate(pg!), '08P01')
      assert.equal(sqlstate(skiff!), '08P01')
    })
  }
})
