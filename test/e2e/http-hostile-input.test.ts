/**
 * `/sql` against hostile input (issue 16, point 1): NUL, CR/LF and repeated headers around the login.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { parseConnectionString } from '../../gateway/src/http/connection-string.js'
import type { SqlBody } from '../../gateway/src/http/sql-body.js'
import { runSql, type SqlReply } from '../../gateway/src/http/sql-runner.js'
import type { PreAuthenticatedIdentity } from '../../gateway/src/session/client-context.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

const TOKEN = 'tok_hostile_0123456789abcdefghijklmnop'

interface Reply {
  status: number
  body: Record<string, unknown>
}

/** POST /sql with fetch (one line per header). */
async function post(gw: TestGateway, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
    method: 'POST',
    headers: { 'Neon-Connection-String': gw.url('scram'), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** POST /sql with node:http, which sends an array-valued header as that many header lines. */
function postLines(
  gw: TestGateway,
  body: unknown,
  headers: Record<string, string | string[]>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: gw.httpPort, path: '/sql', method: 'POST', headers },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

/** Sends `head` (request line and headers, as bytes) plus a small body on a raw socket; the whole answer. */
function rawRequest(gw: TestGateway, headerLines: string): Promise<string> {
  const body = '{"query":"select 1"}'
  const text = `POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\n${headerLines}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
  return new Promise((resolve, reject) => {
    const socket = net.connect(gw.httpPort, '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')))
    const chunks: Buffer[] = []
    socket.on('data', (d) => chunks.push(d))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', reject)
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')))
  })
}

/** Every header `/sql` reads, with a value it accepts. */
const HEADERS: [string, string][] = [
  ['Authorization', `Bearer ${TOKEN}`],
  ['Neon-Array-Mode', 'true'],
  ['Neon-Raw-Text-Output', 'true'],
  ['Neon-Batch-Isolation-Level', 'Serializable'],
  ['Neon-Batch-Read-Only', 'true'],
  ['Neon-Batch-Deferrable', 'true'],
  ['Skiff-Shard', '0'],
  ['Skiff-Role', 'primary'],
  ['Skiff-Sharding-Key', '42'],
]

describe('HTTP /sql: hostile input around the login', () => {
  let gw: TestGateway
  const db = () => topology().database
  const scramPassword = () => encodeURIComponent(topology().users.scram.password)
  before(async () => {
    gw = await startTestGateway({
      http: `[[http.api_tokens]]
token = "${TOKEN}"
username = "skiff_scram"`,
    })
  })
  after(() => gw.stop())

  it('a token for one user cannot log in as another through a NUL smuggled into the connection string', async () => {
    const bearer = { Authorization: `Bearer ${TOKEN}` }
    const plain = await post(
      gw,
      { query: 'select current_user as u' },
      { 'Neon-Connection-String': `postgres://skiff_scram@x/${db()}`, 'Neon-Array-Mode': 'true', ...bearer },
    )
    assert.deepStrictEqual(plain.body.rows, [['skiff_scram']], 'the token itself is good')
    const smuggled = [
      `postgres://skiff_scram@x/${db()}%00user%00skiff_md5`,
      `postgres://skiff_scram%00user%00skiff_md5@x/${db()}`,
      `postgres://skiff_scram@x/${db()}?application_name=a%00user%00skiff_md5`,
      `postgres://skiff_scram@x/${db()}?user%00skiff_md5=1`,
    ]
    for (const url of smuggled) {
      const r = await post(
        gw,
        { query: 'select current_user as u' },
        { 'Neon-Connection-String': url, ...bearer },
      )
      assert.deepStrictEqual([r.status, r.body.code], [400, '08P01'], url)
      assert.match(String(r.body.message), /NUL byte/, url)
      assert.equal(r.body.rows, undefined, url)
      assert.ok(!JSON.stringify(r.body).includes('skiff_md5'), `${url}: the value is not echoed`)
    }
  })

  it('the session holds a token login to the proven identity, whatever the front decoded (runSql)', async () => {
    const run = (url: string, proven: PreAuthenticatedIdentity) =>
      runSql(gw.gateway, sqlRequest(url, single('select current_user::text as u'), proven), LIMITS)
    const ok = await run(`postgres://skiff_scram@x/${db()}`, { user: 'skiff_scram' })
    assert.deepStrictEqual([ok.status, (ok.body as { rows?: unknown }).rows], [200, [{ u: 'skiff_scram' }]])
    const other = await run(`postgres://skiff_md5@x/${db()}`, { user: 'skiff_scram' })
    assert.deepStrictEqual([other.status, code(other)], [400, '28000'])
    const otherDb = await run(`postgres://skiff_scram@x/${db()}`, {
      user: 'skiff_scram',
      database: 'elsewhere',
    })
    assert.deepStrictEqual([otherDb.status, code(otherDb)], [400, '28000'])
  })

  it('each connection-string field with %00, %0D%0A or twice: a clear 400, or what Postgres does with it', async () => {
    const pw = scramPassword()
    const at = `@x/${db()}`
    const cases: [string, string, number, string][] = [
      ['user %00', `postgres://skiff_scram%00x:${pw}${at}`, 400, '08P01'],
      ['user %0D%0A', `postgres://skiff_scram%0D%0Ax:${pw}${at}`, 400, '08P01'],
      ['password %00', `postgres://skiff_scram:${pw}%00x${at}`, 400, '08P01'],
      // Postgres takes any byte but NUL in a password: this one is just wrong.
      ['password %0D%0A', `postgres://skiff_scram:${pw}%0D%0Ax${at}`, 400, '28P01'],
      ['database %00', `postgres://skiff_scram:${pw}@x/${db()}%00x`, 400, '08P01'],
      ['database %0D%0A', `postgres://skiff_scram:${pw}@x/${db()}%0D%0Ax`, 400, '08P01'],
      ['parameter name %00', `postgres://skiff_scram:${pw}${at}?application_name%00x=a`, 400, '08P01'],
      ['parameter name %0D%0A', `postgres://skiff_scram:${pw}${at}?application%0D%0Aname=a`, 400, '08P01'],
      ['parameter value %00', `postgres://skiff_scram:${pw}${at}?application_name=a%00b`, 400, '08P01'],
      // A value may hold CR/LF, as in Postgres.
      ['parameter value %0D%0A', `postgres://skiff_scram:${pw}${at}?application_name=a%0D%0Ab`, 200, ''],
      [
        'parameter twice',
        `postgres://skiff_scram:${pw}${at}?application_name=a&application_name=b`,
        400,
        '08P01',
      ],
      ['user twice', `postgres://skiff_scram:${pw}${at}?user=skiff_md5`, 400, '08P01'],
    ]
    for (const [label, url, status, sqlstate] of cases) {
      const r = await post(gw, { query: 'select current_user as u' }, { 'Neon-Connection-String': url })
      assert.equal(r.status, status, `${label}: ${JSON.stringify(r.body)}`)
      if (status === 200) assert.deepStrictEqual(r.body.rows, [{ u: 'skiff_scram' }], label)
      else assert.equal(r.body.code, sqlstate, label)
      assert.ok(!JSON.stringify(r.body).includes(topology().users.scram.password), `${label}: no password`)
    }
  })

  it('"%00" and "%0D%0A" as text in each header: each header applies its own rules to it', async () => {
    const batch = { queries: [{ query: 'select 1 as n' }] }
    const expected: [string, unknown, number, string | undefined][] = [
      ['Neon-Connection-String', { query: 'select 1' }, 400, '08P01'], // not a URL
      ['Authorization', { query: 'select 1' }, 400, '28000'], // not "Bearer <token>" / no such token
      ['Neon-Array-Mode', { query: 'select 1' }, 200, undefined], // only "true" counts
      ['Neon-Raw-Text-Output', { query: 'select 1' }, 200, undefined],
      ['Neon-Batch-Isolation-Level', batch, 400, '08P01'],
      ['Neon-Batch-Read-Only', batch, 200, undefined],
      ['Neon-Batch-Deferrable', batch, 200, undefined],
      ['Skiff-Shard', { query: 'select 1' }, 400, '08P01'],
      ['Skiff-Role', { query: 'select 1' }, 400, '08P01'],
      ['Skiff-Sharding-Key', { query: 'select 1' }, 200, undefined], // one shard: the key cannot matter
    ]
    for (const text of ['%00', '%0D%0A', 'Bearer %00']) {
      for (const [name, body, status, sqlstate] of expected) {
        const r = await post(gw, body, { [name]: text })
        assert.equal(r.status, status, `${name}: ${text}: ${JSON.stringify(r.body)}`)
        assert.equal(r.body.code, sqlstate, `${name}: ${text}`)
      }
    }
  })

  it('a NUL, CR or LF byte in any header gets 400 from the HTTP parser, and the gateway keeps serving', async () => {
    const url = gw.url('scram')
    for (const [name, value] of [['Neon-Connection-String', url], ...HEADERS] as [string, string][]) {
      for (const byte of ['\0', '\r', '\n', '\r\n']) {
        const bad = `${name}: ${value.slice(0, 3)}${byte}${value.slice(3)}`
        const lines = name === 'Neon-Connection-String' ? bad : `Neon-Connection-String: ${url}\r\n${bad}`
        const answer = await rawRequest(gw, lines)
        assert.match(
          answer,
          /^HTTP\/1\.1 400 /,
          `${name} with ${JSON.stringify(byte)}: ${answer.slice(0, 80)}`,
        )
      }
    }
    const r = await post(gw, { query: 'select 1 as n' })
    assert.deepStrictEqual([r.status, r.body.rows], [200, [{ n: 1 }]])
  })

  it('a repeated Neon-*, Skiff-* or Authorization header gets 400 naming it', async () => {
    const url = gw.url('scram')
    for (const [name, value] of [['Neon-Connection-String', url], ...HEADERS] as [string, string][]) {
      const headers = { 'Neon-Connection-String': url, [name]: [value, value] }
      const r = await postLines(gw, { query: 'select 1' }, headers)
      assert.deepStrictEqual([r.status, r.body.code], [400, '08P01'], name)
      assert.equal(r.body.message, `header ${name} was sent more than once`)
    }
    // The case of the report: two connection strings, merged by Node into one with a comma.
    const second = `postgres://skiff_scram:other-secret@x/${db()}`
    const r = await postLines(
      gw,
      { query: 'select 1' },
      { 'Neon-Connection-String': [`${url}?TimeZone=UTC`, second] },
    )
    assert.equal(r.status, 400)
    assert.ok(!JSON.stringify(r.body).includes('other-secret'))
    // Other headers may repeat, as HTTP allows.
    const ok = await postLines(
      gw,
      { query: 'select 1 as n' },
      { 'Neon-Connection-String': url, Accept: ['a/b', 'c/d'] },
    )
    assert.equal(ok.status, 200)
  })
})

const LIMITS = { maxResponseBytes: 100_000, timeoutMs: 5000 }

function single(query: string): SqlBody {
  return { kind: 'single', query: { query, params: [] } }
}

/** A request as app.ts would build it from these parts, minus its checks. */
function sqlRequest(url: string, body: SqlBody, preAuthenticated?: PreAuthenticatedIdentity) {
  return {
    target: parseConnectionString(url),
    preAuthenticated,
    body,
    arrayMode: false,
    rawText: true,
    begin: '',
    routing: {},
    remoteAddress: 'test',
  }
}

function code(reply: SqlReply): unknown {
  return 'code' in reply.body ? reply.body.code : undefined
}
