/**
 * Client TLS on the TCP port (issue 21): with general.tls_certificate and tls_private_key an
 * SSLRequest is answered 'S' and the login continues over TLS; without them 'N'. Certificates come
 * from a CA made for this test (test/helpers/test-ca.ts).
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { loadClientTls } from '../../gateway/src/endpoints/tls-context.js'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { pgTool, run } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { makeTestCertificates, type TestCertificates } from '../helpers/test-ca.js'
import { topology } from '../helpers/topology.js'

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

/** psql through the gateway as the scram user; `-c '\conninfo'` says whether the connection is TLS. */
function psql(port: number, conninfo: string) {
  const u = topology().users.scram
  return run(
    pgTool('psql'),
    [
      '-X',
      '-A',
      '-t',
      '-c',
      'select 40 + 2',
      '-c',
      '\\conninfo',
      `host=127.0.0.1 port=${port} dbname=${topology().database} user=${u.username} ${conninfo}`,
    ],
    { PGPASSWORD: u.password, PGSSLMODE: '', PGSSLROOTCERT: '' },
    30_000,
  )
}

describe('client TLS on the TCP port', () => {
  let certs: TestCertificates
  let gw: TestGateway
  before(async () => {
    certs = makeTestCertificates()
    gw = await startTestGateway({
      general: `tls_certificate = "${certs.serverCert}"\ntls_private_key = "${certs.serverKey}"`,
    })
  })
  after(async () => {
    await gw?.stop()
    certs?.dispose()
  })

  it('psql with sslmode=require connects over TLS and runs a query', async () => {
    const r = await psql(gw.port, 'sslmode=require')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^42$/m)
    assert.match(r.stdout, /SSL connection \(protocol: TLS/)
  })

  it('psql with sslmode=verify-full and the test CA connects', async () => {
    const r = await psql(gw.port, `sslmode=verify-full sslrootcert=${certs.caCert}`)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^42$/m)
    assert.match(r.stdout, /SSL connection/)
  })

  it('psql with sslmode=verify-full refuses a server its CA did not sign', async () => {
    const r = await psql(gw.port, `sslmode=verify-full sslrootcert=${certs.serverCert}`)
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /certificate verify failed/)
  })

  it('psql with sslmode=disable still logs in in plaintext', async () => {
    const r = await psql(gw.port, 'sslmode=disable')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^42$/m)
    assert.doesNotMatch(r.stdout, /SSL connection/)
  })

  it('node-postgres with ssl: { ca } connects and queries', async () => {
    const client = new pg.Client({
      connectionString: gw.url('scram'),
      ssl: { ca: readFileSync(certs.caCert) },
    })
    await client.connect()
    try {
      assert.equal((await client.query('select 40 + 2 as n')).rows[0].n, 42)
      const stream = (client as unknown as { connection: { stream: { encrypted?: boolean } } }).connection
        .stream
      assert.equal(stream.encrypted, true)
    } finally {
      await client.end()
    }
  })

  it('bytes pipelined after the SSLRequest close the connection (CVE-2021-23214)', async () => {
    const s = await RawSocket.connect(gw.port)
    s.framing = false
    const startup = serializeStartupMessage({
      user: topology().users.trust.username,
      database: topology().database,
    })
    s.write(Buffer.concat([SSL_REQUEST, startup]))
    await s.until(() => s.closed)
    const reply = Buffer.concat(s.received)
    assert.notEqual(reply[0], 'S'.charCodeAt(0), 'the request must not be accepted')
    assert.match(reply.toString('latin1'), /08P01/)
    assert.match(reply.toString('latin1'), /received unencrypted data after SSL request/)
  })

  it('a plaintext byte where the TLS handshake should be closes the connection', async () => {
    const s = await RawSocket.connect(gw.port)
    s.framing = false
    s.write(SSL_REQUEST)
    await s.until(() => s.received.length > 0)
    assert.equal(Buffer.concat(s.received).toString(), 'S')
    s.write(serializeStartupMessage({ user: topology().users.trust.username, database: topology().database }))
    await s.until(() => s.closed)
    assert.doesNotMatch(Buffer.concat(s.received).toString('latin1'), /Z/, 'no login in plaintext')
  })

  it('a GSSENCRequest is answered N, then TLS is still offered', async () => {
    const s = await RawSocket.connect(gw.port)
    s.framing = false
    s.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]))
    await s.until(() => s.received.length > 0)
    assert.equal(Buffer.concat(s.received).toString(), 'N')
    s.write(SSL_REQUEST)
    await s.until(() => Buffer.concat(s.received).length > 1)
    assert.equal(Buffer.concat(s.received).toString(), 'NS')
    s.destroy()
  })

  it('every connection, TLS or not, is released when it closes (max_client_conn counts)', async () => {
    const open = () => gw.gateway.connectionCount
    const deadline = Date.now() + 2000
    while (open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.equal(open(), 0)
  })
})

describe('client TLS config errors name the key and the reason', () => {
  let certs: TestCertificates
  before(() => {
    certs = makeTestCertificates()
  })
  after(() => certs?.dispose())

  it('no keys: no TLS', () => {
    assert.equal(loadClientTls({}), undefined)
  })

  it('a missing certificate file', () => {
    const missing = path.join(certs.dir, 'missing.crt')
    assert.throws(() => loadClientTls({ tls_certificate: missing, tls_private_key: certs.serverKey }), {
      message: `general.tls_certificate: cannot read ${missing} (ENOENT)`,
    })
  })

  it('a missing key file', () => {
    const missing = path.join(certs.dir, 'missing.key')
    assert.throws(() => loadClientTls({ tls_certificate: certs.serverCert, tls_private_key: missing }), {
      message: `general.tls_private_key: cannot read ${missing} (ENOENT)`,
    })
  })

  it('a certificate file that is not a certificate', () => {
    const bad = path.join(certs.dir, 'bad.crt')
    writeFileSync(bad, 'not a certificate\n')
    assert.throws(() => loadClientTls({ tls_certificate: bad, tls_private_key: certs.serverKey }), {
      message: new RegExp(`^general\\.tls_certificate: ${bad} is not a PEM certificate`),
    })
  })

  it('a key file that is not a key', () => {
    assert.throws(
      () => loadClientTls({ tls_certificate: certs.serverCert, tls_private_key: certs.serverCert }),
      {
        message: /^general\.tls_private_key: .* is not an unencrypted PEM private key/,
      },
    )
  })

  it('a key that does not fit the certificate', () => {
    assert.throws(
      () => loadClientTls({ tls_certificate: certs.serverCert, tls_private_key: certs.otherKey }),
      {
        message: /^general\.tls_private_key: .* does not fit the certificate in tls_certificate/,
      },
    )
  })

  it('the gateway does not start with a missing file', async () => {
    const missing = path.join(certs.dir, 'missing.crt')
    await assert.rejects(
      startTestGateway({ general: `tls_certificate = "${missing}"\ntls_private_key = "${certs.serverKey}"` }),
      { message: `general.tls_certificate: cannot read ${missing} (ENOENT)` },
    )
  })
})
