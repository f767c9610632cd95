/**
 * TLS from Skiff to the servers (issue 21): `general.server_tls` opens each server connection with an
 * SSLRequest and a TLS handshake; `verify_server_certificate` checks the chain (against
 * `server_tls_ca_file`) and the host. The server is a private Postgres that accepts `hostssl` logins
 * only (test/helpers/tls-postgres.ts), its certificate from a CA made for this test.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import postgres from 'postgres'
import { parseConfigText } from '../../gateway/src/config/load.js'
import { Gateway } from '../../gateway/src/gateway.js'
import { run } from '../helpers/clients.js'
import {
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
  testConfigText,
} from '../helpers/gateway.js'
import { makeTestCertificates, type TestCertificates } from '../helpers/test-ca.js'
import { startTlsPostgres, type TlsPostgres } from '../helpers/tls-postgres.js'

const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')

/** Whether the server sees the gateway's connection as TLS (pg_stat_ssl of that backend). */
const SSL_QUERY = 'SELECT ssl, 40 + 2 AS answer FROM pg_stat_ssl WHERE pid = pg_backend_pid()'

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

/** The error a login through the gateway fails with. */
async function loginError(url: string): Promise<pg.DatabaseError> {
  const err = await query(url, 'SELECT 1').then(
    () => assert.fail('the login should have failed'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof pg.DatabaseError, String(err))
  return err
}

describe('server TLS (general.server_tls)', () => {
  let certs: TestCertificates
  let otherCa: TestCertificates
  let server: TlsPostgres
  const gateways: TestGateway[] = []
  const port = () => server.description.primary.port
  const verifyKeys = (ca: string) =>
    `server_tls = true\nverify_server_certificate = true\nserver_tls_ca_file = "${ca}"`
  const start = async (general: string, o: TestGatewayOptions = {}) => {
    const gw = await startTestGateway({ topology: server.description, general, ...o })
    gateways.push(gw)
    return gw
  }

  before(async () => {
    certs = makeTestCertificates('DNS:localhost') // not 127.0.0.1: the host check has something to refuse
    otherCa = makeTestCertificates()
    server = await startTlsPostgres(certs)
  })
  after(async () => {
    for (const gw of gateways) await gw.stop()
    await server?.stop()
    certs?.dispose()
    otherCa?.dispose()
  })

  it('server_tls = true: logs in over TLS to a server that requires it, queries work', async () => {
    const gw = await start('server_tls = true')
    for (const user of ['scram', 'md5'] as const) {
      const [row] = await query(gw.url(user), SSL_QUERY)
      assert.deepEqual(row, { ssl: true, answer: 42 }, user)
    }
  })

  it('verify_server_certificate with the right CA (server_tls_ca_file) works for the name on the certificate', async () => {
    const gw = await start(verifyKeys(certs.caCert), { serverList: `["localhost", ${port()}, "primary"]` })
    const [row] = await query(gw.url('scram'), SSL_QUERY)
    assert.deepEqual(row, { ssl: true, answer: 42 })
  })

  it('verify_server_certificate: a host the certificate does not name is refused (verify-full)', async () => {
    const gw = await start(verifyKeys(certs.caCert), { serverList: `["127.0.0.1", ${port()}, "primary"]` })
    const err = await loginError(gw.url('scram'))
    assert.equal(err.code, '08001')
    assert.match(err.message, /TLS handshake failed: .*IP: 127\.0\.0\.1 is not in the cert's list/)
  })

  it('a certificate from another CA: the client gets 08001 naming the check; Skiff serves on', async () => {
    const gw = await start(verifyKeys(otherCa.caCert), { serverList: `["localhost", ${port()}, "primary"]` })
    const err = await loginError(gw.url('scram'))
    assert.equal(err.code, '08001')
    assert.match(err.message, /TLS handshake failed: .*certificate/i)
    // The gateway is still up: the admin console answers, and the next login gets the same clear error.
    const admin = `postgres://skiff_admin:skiff_admin_pw@127.0.0.1:${gw.port}/pgcat`
    const [version] = await query(admin, 'SHOW VERSION')
    assert.ok(version)
    assert.equal((await loginError(gw.url('md5'))).code, '08001')
  })

  it('without verify_server_certificate an untrusted certificate is accepted (sslmode=require)', async () => {
    const gw = await start('server_tls = true') // no CA: Node's roots do not know the test CA
    const [row] = await query(gw.url('plain'), SSL_QUERY)
    assert.deepEqual(row, { ssl: true, answer: 42 })
  })

  it('a cancel reaches a backend behind TLS (CancelRequests go in plaintext, which hostssl does not govern)', async () => {
    const gw = await start('server_tls = true')
    const sql = postgres(gw.url('scram'), { max: 1, onnotice: () => {} })
    try {
      const slow = sql`select pg_sleep(20)`
      setTimeout(() => slow.cancel(), 300)
      await assert.rejects(slow, { code: '57014' })
      assert.equal((await sql`select 1 as one`)[0]!.one, 1)
    } finally {
      await sql.end({ timeout: 5 })
    }
  })

  it('LISTEN/NOTIFY in transaction mode: the gateway LISTEN connection goes over TLS too', async () => {
    const gw = await start('server_tls = true', { poolMode: 'transaction', poolSize: 2 })
    const listener = new pg.Client({ connectionString: gw.url('scram') })
    const notifier = new pg.Client({ connectionString: gw.url('scram') })
    await listener.connect()
    await notifier.connect()
    try {
      const got: string[] = []
      listener.on('notification', (n) => got.push(n.payload ?? ''))
      await listener.query('LISTEN tls_channel')
      await notifier.query(`NOTIFY tls_channel, 'over tls'`)
      const deadline = Date.now() + 5000
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      assert.deepEqual(got, ['over tls'])
    } finally {
      await listener.end()
      await notifier.end()
    }
  })

  it('server_tls = false against the hostssl-only server: the login fails clearly', async () => {
    const gw = await start('server_tls = false')
    const err = await loginError(gw.url('scram'))
    assert.equal(err.code, '08001')
    assert.match(err.message, /pg_hba\.conf rejects connection .*no encryption/)
  })

  it('server_tls = true against a server without TLS (it answers N): an error, never plaintext', async () => {
    const gw = await startTestGateway({ general: 'server_tls = true' }) // the shared topology: ssl off
    gateways.push(gw)
    const err = await loginError(gw.url('scram'))
    assert.equal(err.code, '08001')
    assert.match(err.message, /does not support TLS \(it answered N to the SSLRequest\)/)
  })
})

describe('server TLS config', () => {
  const parse = (general: string) => () => parseConfigText(testConfigText({ general }), 'server-tls.toml')

  it('verify_server_certificate without server_tls is an error naming the key', () => {
    assert.throws(parse('verify_server_certificate = true'), /general\.verify_server_certificate.*server_tls/)
  })

  it('server_tls_ca_file without verify_server_certificate is an error naming the key', () => {
    assert.throws(parse('server_tls = true\nserver_tls_ca_file = "/x.pem"'), /general\.server_tls_ca_file/)
  })

  it('the PgCat keys are no longer reported as ignored', () => {
    const { warnings } = parseConfigText(
      testConfigText({ general: 'server_tls = true\nverify_server_certificate = true' }),
      'server-tls.toml',
    )
    assert.deepEqual(
      warnings.filter((w) => /server_tls|verify_server_certificate/.test(String(w))),
      [],
    )
  })

  it('a missing server_tls_ca_file stops the gateway with BAD_CONFIG naming the key', () => {
    const { config } = parseConfigText(
      testConfigText({
        general:
          'server_tls = true\nverify_server_certificate = true\nserver_tls_ca_file = "/nonexistent/ca.pem"',
      }),
      'server-tls.toml',
    )
    assert.throws(
      () => new Gateway(config),
      /general\.server_tls_ca_file: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/,
    )
  })

  it('skiff check-config and the start name a missing CA file or HTTP certificate, exit 1, no stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skiff-server-tls-'))
    try {
      const files = {
        'general.server_tls_ca_file': testConfigText({
          general: 'server_tls = true\nverify_server_certificate = true\nserver_tls_ca_file = "/nope/ca.pem"',
        }),
        'http.tls_certificate': testConfigText({
          http: 'tls_certificate = "/nope/c.pem"\ntls_private_key = "/nope/k.pem"',
        }),
      }
      for (const [key, text] of Object.entries(files)) {
        const file = path.join(dir, `${key}.toml`)
        writeFileSync(file, text)
        for (const args of [['check-config', file], [file]]) {
          const r = await run('node', [SKIFF, ...args], {}, 15_000)
          assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
          const out = r.stdout + r.stderr
          assert.match(out, new RegExp(`${key.replace('.', '\\.')}: cannot read /nope/\\S+ \\(ENOENT\\)`))
          assert.doesNotMatch(out, /\n\s+at /, 'no stack trace')
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
