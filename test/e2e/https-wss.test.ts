/**
 * TLS on the HTTP listener (issue 21): with a certificate configured it serves HTTPS and WSS only, the
 * `@neondatabase/serverless` driver connects over both with the test CA trusted, and plain http:// or
 * ws:// is refused. Certificates reload: after `gateway.tls.reload()` new connections on the TCP port
 * and the HTTP listener see the new certificate; a bad new file keeps the old one in service.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import tls from 'node:tls'
import { neon, neonConfig, Pool } from '@neondatabase/serverless'
import { Agent, fetch as undiciFetch } from 'undici'
import WebSocket from 'ws'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { makeTestCertificates, type TestCertificates } from '../helpers/test-ca.js'

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

/** Points the driver at the gateway over HTTPS and WSS, trusting `ca` (and only for these calls). */
function useSecureGateway(gw: TestGateway, ca: string): void {
  const agent = new Agent({ connect: { ca } })
  neonConfig.fetchEndpoint = () => `https://localhost:${gw.httpPort}/sql`
  // undici's fetch (not Node's global one) takes a dispatcher, which is how a CA is trusted per call.
  neonConfig.fetchFunction = (url: string, init: Record<string, unknown>) =>
    undiciFetch(url, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1])
  neonConfig.webSocketConstructor = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca })
    }
  }
  neonConfig.useSecureWebSocket = true
  neonConfig.wsProxy = () => `localhost:${gw.httpPort}/v2`
  neonConfig.pipelineConnect = 'password'
}

/** SHA-256 fingerprint of the certificate a fresh TLS connection to the HTTP listener gets. */
function httpPeerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256)
      socket.destroy()
    })
    socket.on('error', reject)
  })
}

/** Sends an SSLRequest on a new TCP connection; resolves with the answer byte and the socket. */
function sslRequest(port: number): Promise<{ answer: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(SSL_REQUEST))
    socket.once('data', (b: Buffer) => resolve({ answer: b.toString('latin1'), socket }))
    socket.on('error', reject)
  })
}

/** The certificate's fingerprint on the TCP port after an SSLRequest (what psql does). */
async function tcpPeerFingerprint(port: number, ca: string): Promise<string> {
  const { answer, socket: plain } = await sslRequest(port)
  assert.equal(answer, 'S')
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ socket: plain, servername: 'localhost', ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256)
      socket.destroy()
    })
    socket.on('error', reject)
  })
}

const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256

describe('HTTPS and WSS on the HTTP listener', () => {
  let certs: TestCertificates
  let gw: TestGateway
  let ca: string
  before(async () => {
    certs = makeTestCertificates()
    ca = readFileSync(certs.caCert, 'utf8')
    // Only general's pair: the HTTP listener takes it too.
    gw = await startTestGateway({
      general: `tls_certificate = "${certs.serverCert}"\ntls_private_key = "${certs.serverKey}"`,
    })
    useSecureGateway(gw, ca)
  })
  after(async () => {
    await gw?.stop()
    certs?.dispose()
  })

  it('neon() runs queries over HTTPS with the test CA trusted', async () => {
    const sql = neon(gw.url('scram'))
    const rows = await sql`select 40 + ${2}::int as answer`
    assert.deepEqual(rows, [{ answer: 42 }])
  })

  it('the neon Pool runs a transaction over WSS with the test CA trusted', async () => {
    const pool = new Pool({ connectionString: gw.url('scram') })
    try {
      const client = await pool.connect()
      await client.query('BEGIN')
      const r = await client.query('select 6 * 7 as answer')
      await client.query('COMMIT')
      client.release()
      assert.deepEqual(r.rows, [{ answer: 42 }])
    } finally {
      await pool.end()
    }
  })

  it('plain http:// and ws:// are not served on the HTTPS port', async () => {
    await assert.rejects(
      fetch(`http://127.0.0.1:${gw.httpPort}/sql`, { method: 'POST', body: '{}' }),
      'plain HTTP must fail',
    )
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/v2`)
      ws.on('open', () => reject(new Error('ws:// must not open')))
      ws.on('error', () => resolve())
    })
  })

  it('an untrusted CA is refused by the client (the listener really serves the test certificate)', async () => {
    const other = makeTestCertificates()
    try {
      const wrongCa = readFileSync(other.caCert, 'utf8')
      await assert.rejects(httpPeerFingerprint(gw.httpPort, wrongCa), /unable to verify/)
      assert.equal(await httpPeerFingerprint(gw.httpPort, ca), fingerprint(certs.serverCert))
    } finally {
      other.dispose()
    }
  })

  it('reload: new files serve new connections on both listeners; a bad file keeps the old certificate', async () => {
    const next = makeTestCertificates()
    try {
      const before = fingerprint(certs.serverCert)
      assert.equal(await tcpPeerFingerprint(gw.port, ca), before)
      copyFileSync(next.serverCert, certs.serverCert)
      copyFileSync(next.serverKey, certs.serverKey)
      assert.deepEqual(gw.gateway.tls.reload(), [])
      const nextCa = readFileSync(next.caCert, 'utf8')
      const after = fingerprint(next.serverCert)
      assert.notEqual(after, before)
      assert.equal(await tcpPeerFingerprint(gw.port, nextCa), after)
      assert.equal(await httpPeerFingerprint(gw.httpPort, nextCa), after)
      // The driver, trusting the new CA, works over the reloaded HTTPS listener.
      useSecureGateway(gw, nextCa)
      assert.deepEqual(await neon(gw.url('scram'))`select 1 as one`, [{ one: 1 }])

      writeFileSync(certs.serverCert, 'not a certificate\n')
      const errors = gw.gateway.tls.reload()
      assert.equal(errors.length, 2, errors.join('\n')) // the TCP port's and the HTTP listener's
      for (const e of errors) assert.match(e, /tls_certificate: .* is not a PEM certificate.*stays in use/)
      assert.equal(await tcpPeerFingerprint(gw.port, nextCa), after)
      assert.equal(await httpPeerFingerprint(gw.httpPort, nextCa), after)
    } finally {
      next.dispose()
    }
  })
})

describe('[http] certificate keys', () => {
  it('http.tls_certificate/tls_private_key serve HTTPS while the TCP port stays plain', async () => {
    const certs = makeTestCertificates()
    const gw = await startTestGateway({
      http: `tls_certificate = "${certs.serverCert}"\ntls_private_key = "${certs.serverKey}"`,
    })
    try {
      const ca = readFileSync(certs.caCert, 'utf8')
      assert.equal(await httpPeerFingerprint(gw.httpPort, ca), fingerprint(certs.serverCert))
      const { answer, socket } = await sslRequest(gw.port)
      socket.destroy()
      assert.equal(answer, 'N')
    } finally {
      await gw.stop()
      certs.dispose()
    }
  })
})
