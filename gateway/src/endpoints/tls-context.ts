/**
 * The TLS credentials Skiff offers its clients: on the TCP port after an SSLRequest
 * (`general.tls_certificate`/`tls_private_key`) and on the HTTP listener (`http.tls_certificate`/
 * `tls_private_key`, else general's). Read at start, and again on {@link TlsIdentities.reload}: a bad
 * new file keeps the old credentials in service and is reported. Every failure names the key.
 * @module
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import type { HttpConfig } from '../config/schema.js'
import type { GeneralConfig } from '../config/schema-general.js'
import { GatewayError } from '../errors.js'

type TlsKeys = { tls_certificate?: string; tls_private_key?: string }
type Table = 'general' | 'http'

/** A certificate and its key as PEM, and the secure context made of them. */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  context: tls.SecureContext
}

/**
 * One listener's certificate, swappable while the listener runs: the TCP endpoint reads `context` at
 * each SSLRequest; the HTTPS server hears of a swap through `onChange`.
 */
export class TlsIdentity {
  private readonly listeners: Array<(material: TlsMaterial) => void> = []

  constructor(
    readonly table: Table,
    private paths: { cert: string; key: string },
    private material: TlsMaterial,
  ) {}

  /** The secure context in service now. */
  get context(): tls.SecureContext {
    return this.material.context
  }

  /** The PEM in service now (for `https.createServer`). */
  get current(): TlsMaterial {
    return this.material
  }

  /** Calls `listener` with the new material after every successful reload. */
  onChange(listener: (material: TlsMaterial) => void): void {
    this.listeners.push(listener)
  }

  /**
   * Reads the files again (at new paths when given); on success the new certificate serves every
   * connection from now on. Returns the error message (the old certificate stays) or undefined.
   */
  reload(keys?: TlsKeys): string | undefined {
    const cert = keys?.tls_certificate ?? this.paths.cert
    const key = keys?.tls_private_key ?? this.paths.key
    try {
      this.material = readMaterial(this.table, cert, key)
    } catch (err) {
      return `${reason(err)}; the certificate loaded before stays in use`
    }
    this.paths = { cert, key }
    for (const listener of this.listeners) listener(this.material)
    return undefined
  }
}

/** The gateway's TLS identities: the TCP port's and the HTTP listener's (the same files may serve both). */
export class TlsIdentities {
  constructor(
    readonly client: TlsIdentity | undefined,
    readonly http: TlsIdentity | undefined,
  ) {}

  /**
   * Re-reads every certificate and key (with the paths of `config` when given, say after a config
   * reload) and swaps them into the running listeners. Returns one message per failure; a listener
   * whose files fail keeps its old certificate. A listener started without TLS stays so until restart.
   */
  reload(config?: { general: TlsKeys; http: HttpConfig }): string[] {
    const errors: string[] = []
    const pairs: Array<[TlsIdentity | undefined, TlsKeys | undefined]> = [
      [this.client, config?.general],
      [this.http, config?.http.enabled ? httpKeys(config.general, config.http) : undefined],
    ]
    for (const [identity, keys] of pairs) {
      const turnedOn = identity === undefined && keys?.tls_certificate !== undefined
      if (turnedOn) errors.push('TLS on a listener started without it takes effect at the next restart')
      const error = identity?.reload(keys)
      if (error !== undefined) errors.push(error)
    }
    return errors
  }
}

/**
 * Loads the TCP port's and the HTTP listener's certificates. Throws a BAD_CONFIG GatewayError naming
 * the key when a file cannot be read or does not hold what it should.
 */
export function loadTlsIdentities(config: { general: GeneralConfig; http: HttpConfig }): TlsIdentities {
  return new TlsIdentities(
    loadIdentity('general', config.general),
    config.http.enabled ? loadIdentity('http', httpKeys(config.general, config.http)) : undefined,
  )
}

/**
 * The HTTP listener's certificate keys: its own when set, else general's (one certificate for both
 * listeners is the usual case). The `table` of the returned pair says which one the paths came from.
 */
function httpKeys(general: TlsKeys, http: HttpConfig): TlsKeys & { from: Table } {
  if (http.tls_certificate !== undefined || http.tls_private_key !== undefined)
    return { tls_certificate: http.tls_certificate, tls_private_key: http.tls_private_key, from: 'http' }
  return {
    tls_certificate: general.tls_certificate,
    tls_private_key: general.tls_private_key,
    from: 'general',
  }
}

function loadIdentity(table: Table, keys: TlsKeys & { from?: Table }): TlsIdentity | undefined {
  const { tls_certificate: certPath, tls_private_key: keyPath } = keys
  const from = keys.from ?? table
  if (certPath === undefined && keyPath === undefined) return undefined
  // The schema already requires both together; this keeps the function safe on its own.
  if (certPath === undefined) throw badKey(from, 'tls_certificate', 'required when tls_private_key is set')
  if (keyPath === undefined) throw badKey(from, 'tls_private_key', 'required when tls_certificate is set')
  return new TlsIdentity(from, { cert: certPath, key: keyPath }, readMaterial(from, certPath, keyPath))
}

/**
 * The secure context for client TLS on the TCP port, or undefined when the config asks for none.
 * Throws a BAD_CONFIG GatewayError naming the key when a file is missing or wrong.
 */
export function loadClientTls(general: TlsKeys): tls.SecureContext | undefined {
  return loadIdentity('general', general)?.context
}

function readMaterial(table: Table, certPath: string, keyPath: string): TlsMaterial {
  const cert = readPem(table, 'tls_certificate', certPath)
  const key = readPem(table, 'tls_private_key', keyPath)
  try {
    new X509Certificate(cert)
  } catch (err) {
    throw badKey(table, 'tls_certificate', `${certPath} is not a PEM certificate (${reason(err)})`)
  }
  try {
    createPrivateKey(key)
  } catch (err) {
    throw badKey(
      table,
      'tls_private_key',
      `${keyPath} is not an unencrypted PEM private key (${reason(err)})`,
    )
  }
  try {
    return { cert, key, context: tls.createSecureContext({ cert, key }) }
  } catch (err) {
    const message = `${keyPath} does not fit the certificate in tls_certificate (${reason(err)})`
    throw badKey(table, 'tls_private_key', message)
  }
}

function readPem(table: Table, key: keyof TlsKeys, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? reason(err)
    throw badKey(table, key, `cannot read ${path} (${code})`)
  }
}

function badKey(table: Table, key: keyof TlsKeys, message: string): GatewayError {
  return new GatewayError('BAD_CONFIG', `${table}.${key}: ${message}`)
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
