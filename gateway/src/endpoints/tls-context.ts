/**
 * The TLS credentials offered to clients on the TCP port (`general.tls_certificate` and
 * `general.tls_private_key`), read once at start. Every failure names the key and the reason.
 * @module
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import type { GeneralConfig } from '../config/schema-general.js'
import { GatewayError } from '../errors.js'

type TlsKeys = Pick<GeneralConfig, 'tls_certificate' | 'tls_private_key'>

/**
 * The secure context for client TLS, or undefined when the config asks for none. Throws a
 * BAD_CONFIG GatewayError naming the key when a file cannot be read or does not hold what it should.
 */
export function loadClientTls(general: TlsKeys): tls.SecureContext | undefined {
  const { tls_certificate: certPath, tls_private_key: keyPath } = general
  if (certPath === undefined && keyPath === undefined) return undefined
  // The schema already requires both together; this keeps the function safe on its own.
  if (certPath === undefined) throw badKey('tls_certificate', 'required when tls_private_key is set')
  if (keyPath === undefined) throw badKey('tls_private_key', 'required when tls_certificate is set')
  const cert = readPem('tls_certificate', certPath)
  const key = readPem('tls_private_key', keyPath)
  try {
    new X509Certificate(cert)
  } catch (err) {
    throw badKey('tls_certificate', `${certPath} is not a PEM certificate (${reason(err)})`)
  }
  try {
    createPrivateKey(key)
  } catch (err) {
    throw badKey('tls_private_key', `${keyPath} is not an unencrypted PEM private key (${reason(err)})`)
  }
  try {
    return tls.createSecureContext({ cert, key })
  } catch (err) {
    throw badKey(
      'tls_private_key',
      `${keyPath} does not fit the certificate in tls_certificate (${reason(err)})`,
    )
  }
}

function readPem(key: keyof TlsKeys, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? reason(err)
    throw badKey(key, `cannot read ${path} (${code})`)
  }
}

function badKey(key: keyof TlsKeys, message: string): GatewayError {
  return new GatewayError('BAD_CONFIG', `general.${key}: ${message}`)
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
