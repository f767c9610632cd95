/**
 * Hand-made SCRAM-SHA-256 login messages for tests that send malformed or hostile exchanges, to Skiff or
 * straight to Postgres, over a {@link RawSocket}.
 * @module
 */
import { deriveScramKeys, hmac, type ScramKeys, xorBytes } from '../../gateway/src/auth/scram-common.js'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { RawSocket } from './raw-socket.js'

/** Authentication request sub-codes the tests wait for. */
export const AUTH_SASL = 10
export const AUTH_SASL_CONTINUE = 11
export const AUTH_SASL_FINAL = 12

/** The StartupMessage of a login as `user` to `database`. */
export function startupMessage(user: string, database: string): Buffer {
  return serializeStartupMessage({ user, database })
}

/** Options for {@link saslInitialResponse}. */
export interface SaslInitialOptions {
  /** The declared data length; defaults to the data's real length. */
  declaredLength?: number
  /** Bytes appended after the data, inside the message. */
  trailing?: Buffer
}

/** A SASLInitialResponse ('p'): mechanism, int32 data length, data; every part can be made wrong. */
export function saslInitialResponse(
  mechanism: string,
  data: Buffer | string | undefined,
  o: SaslInitialOptions = {},
): Buffer {
  const bytes = data === undefined ? Buffer.alloc(0) : Buffer.from(data)
  const len = Buffer.alloc(4)
  len.writeInt32BE(o.declaredLength ?? (data === undefined ? -1 : bytes.length))
  return message(
    'p',
    Buffer.concat([Buffer.from(`${mechanism}\0`), len, bytes, o.trailing ?? Buffer.alloc(0)]),
  )
}

/** A SASLResponse ('p') carrying `data` as is. */
export function saslResponse(data: Buffer | string): Buffer {
  return message('p', Buffer.from(data))
}

/** A tagged message: type byte, int32 length (counting itself), body. */
export function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

/** Fields of a server-first-message. */
export interface ServerFirst {
  text: string
  nonce: string
  salt: Buffer
  iterations: number
}

/** Parses a server-first-message (`r=...,s=...,i=...`). */
export function parseServerFirst(text: string): ServerFirst {
  const attrs = new Map(text.split(',').map((a) => [a[0], a.slice(2)] as const))
  return {
    text,
    nonce: attrs.get('r') ?? '',
    salt: Buffer.from(attrs.get('s') ?? '', 'base64'),
    iterations: Number(attrs.get('i')),
  }
}

/** What to put into a client-final-message; anything left out takes the correct value. */
export interface ClientFinalParts {
  channelBinding?: string
  nonce?: string
  /** Attributes (e.g. `x=1`) between the nonce and the proof; the proof covers them. */
  extensions?: string
}

const keyCache = new Map<string, ScramKeys>()

/** PBKDF2 once per password, salt and iteration count: fuzz tests build thousands of proofs. */
function keysFor(password: string, serverFirst: ServerFirst): ScramKeys {
  const key = `${password}\0${serverFirst.salt.toString('base64')}\0${serverFirst.iterations}`
  let keys = keyCache.get(key)
  if (keys === undefined) {
    keys = deriveScramKeys(Buffer.from(password), serverFirst.salt, serverFirst.iterations)
    keyCache.set(key, keys)
  }
  return keys
}

/** A client-final-message with a proof computed from `password` over exactly the parts sent. */
export function clientFinal(
  password: string,
  clientFirstBare: string,
  serverFirst: ServerFirst,
  parts: ClientFinalParts = {},
): string {
  const ext = parts.extensions ? `,${parts.extensions}` : ''
  const withoutProof = `c=${parts.channelBinding ?? 'biws'},r=${parts.nonce ?? serverFirst.nonce}${ext}`
  const keys = keysFor(password, serverFirst)
  const authMessage = `${clientFirstBare},${serverFirst.text},${withoutProof}`
  const proof = xorBytes(keys.clientKey, hmac(keys.storedKey, Buffer.from(authMessage, 'latin1')))
  return `${withoutProof},p=${proof.toString('base64')}`
}

/** The `code` of Authentication messages received so far, with their data. */
export function authMessages(s: RawSocket): Array<{ code: number; data: Buffer }> {
  return s.messages
    .filter((m) => m.code === 'R')
    .map((m) => ({ code: m.body.readInt32BE(5), data: m.body.subarray(9) }))
}

/** Connects, sends the StartupMessage and waits for the AuthenticationSASL offer. */
export async function openSaslLogin(port: number, user: string, database: string): Promise<RawSocket> {
  const s = await RawSocket.connect(port)
  s.write(startupMessage(user, database))
  await s.until(() => authMessages(s).some((m) => m.code === AUTH_SASL) || s.closed)
  return s
}

/** Waits for the server-first-message (AuthenticationSASLContinue), or fails. */
export async function serverFirstOf(s: RawSocket): Promise<ServerFirst> {
  await s.until(() => authMessages(s).some((m) => m.code === AUTH_SASL_CONTINUE) || s.closed)
  const m = authMessages(s).find((x) => x.code === AUTH_SASL_CONTINUE)
  if (m === undefined) throw new Error(`no server-first-message; error ${s.firstError()?.get('M')}`)
  return parseServerFirst(m.data.toString('latin1'))
}

/** How a hostile exchange ended: the error's fields (if any) and whether the socket closed. */
export interface Ending {
  sqlstate?: string
  severity?: string
  message?: string
  closed: boolean
  ms: number
}

/** Waits until the server closes the socket (at most `ms`), then reports the first error. */
export async function endingOf(s: RawSocket, ms = 3000): Promise<Ending> {
  const t0 = Date.now()
  try {
    await s.until(() => s.closed, ms)
  } catch {
    // reported through `closed: false`
  }
  const e = s.firstError()
  s.destroy()
  return {
    sqlstate: e?.get('C'),
    severity: e?.get('S'),
    message: e?.get('M'),
    closed: s.closed,
    ms: Date.now() - t0,
  }
}
