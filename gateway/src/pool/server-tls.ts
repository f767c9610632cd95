/**
 * TLS towards the servers (`general.server_tls`): an SSLRequest on the fresh TCP connection, the
 * server's one-byte answer, then a TLS handshake over the same socket before the StartupMessage.
 * `verify_server_certificate` is libpq's `sslmode=verify-full`; without it, `sslmode=require`.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
 * @see https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
 * @module
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import type { GeneralConfig } from '../config/schema-general.js'
import { GatewayError } from '../errors.js'
import { StartupCode } from '../protocol/codes.js'

/** How the gateway secures its server connections. */
export interface ServerTls {
  /** Check the chain and the host name (verify-full); false encrypts only (require). */
  verify: boolean
  /** PEM CA certificates to trust instead of Node's roots (`server_tls_ca_file`). */
  ca?: Buffer
}

type ServerTlsKeys = Pick<GeneralConfig, 'server_tls' | 'verify_server_certificate' | 'server_tls_ca_file'>

/**
 * The server TLS settings of `[general]`, or undefined for plaintext. Reads server_tls_ca_file now, so
 * a missing file stops the start (or the reload) with a BAD_CONFIG error naming the key.
 */
export function loadServerTls(general: ServerTlsKeys): ServerTls | undefined {
  if (!general.server_tls) return undefined
  const path = general.server_tls_ca_file
  if (path === undefined) return { verify: general.verify_server_certificate }
  let ca: Buffer
  try {
    ca = readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new GatewayError('BAD_CONFIG', `general.server_tls_ca_file: cannot read ${path} (${code})`)
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new GatewayError('BAD_CONFIG', `general.server_tls_ca_file: ${path} holds no PEM certificate`)
  return { verify: general.verify_server_certificate, ca }
}

/** The 8-byte SSLRequest: length 8, code 80877103. */
function sslRequest(): Buffer {
  const buf = Buffer.alloc(8)
  buf.writeInt32BE(8, 0)
  buf.writeInt32BE(StartupCode.SSLRequest, 4)
  return buf
}

/**
 * Sends an SSLRequest on `socket` (connected), reads the answer and upgrades. Calls `fail` with the
 * reason, or `ready` with the TLS socket once the handshake (and, with `verify`, the check) passed.
 * The caller's 'data' listeners on `socket` must be off while this runs.
 */
export function negotiateServerTls(
  socket: net.Socket,
  host: string,
  options: ServerTls,
  fail: (reason: string) => void,
  ready: (secure: tls.TLSSocket) => void,
): void {
  socket.once('data', (answer: Buffer) => {
    socket.pause()
    if (answer[0] === 0x4e)
      return fail('the server does not support TLS (it answered N to the SSLRequest), but server_tls is on')
    if (answer[0] !== 0x53) return fail('the server did not answer the SSLRequest with S or N')
    // Bytes after the 'S' came unencrypted and could be injected (CVE-2021-23222): refuse them.
    if (answer.length > 1) return fail('the server sent unencrypted data after accepting TLS')
    const secure = tls.connect({
      socket,
      host, // what the certificate must name (Node checks this host, not the SNI)
      servername: net.isIP(host) === 0 ? host : undefined, // SNI takes host names only
      rejectUnauthorized: options.verify,
      ca: options.ca,
    })
    const handshakeFailed = (err: Error) => fail(`TLS handshake failed: ${err.message}`)
    secure.once('error', handshakeFailed)
    secure.once('secureConnect', () => {
      secure.off('error', handshakeFailed)
      ready(secure)
    })
  })
  socket.write(sslRequest())
}
