/**
 * Client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), behaving like libpq's fe-auth-scram.c: what Skiff runs
 * when it logs in to a Postgres server. Pure: the caller frames SASLInitialResponse / SASLResponse and
 * passes in the payloads of AuthenticationSASLContinue / AuthenticationSASLFinal.
 *
 * This side needs the password, or the keys derived from it: a stored SCRAM secret alone is not enough,
 * as the proof is built from ClientKey and the secret only holds StoredKey = H(ClientKey). A client's
 * own SCRAM login to the gateway reveals ClientKey (see scram-server.ts), so with auth_query the
 * gateway can log in as that user with {@link ScramClientKeys}, as PgBouncer does.
 * @see https://www.pgbouncer.org/config.html#auth_query
 */

import { scramPasswordBytes } from './saslprep.js'
import {
  attribute,
  clip,
  constantTimeEqual,
  decodeBase64,
  deriveScramKeys,
  hmac,
  isPrintable,
  malformed,
  parseAttributes,
  randomNonce,
  SCRAM_MAX_ITERATIONS,
  type ScramKeys,
  ScramProtocolError,
  sha256,
  xorBytes,
} from './scram-common.js'

export { ScramProtocolError } from './scram-common.js'

/**
 * What a login needs instead of the password: ClientKey and ServerKey, valid only for the salt and
 * iteration count of the secret they belong to (a server that sends others has another password).
 */
export interface ScramClientKeys {
  readonly clientKey: Buffer
  readonly serverKey: Buffer
  readonly salt: Buffer
  readonly iterations: number
}

/** Where a {@link ScramClientSession} is in the exchange. */
export type ScramClientState =
  | 'initial'
  | 'awaiting-server-first'
  | 'awaiting-server-final'
  | 'succeeded'
  | 'failed'

// We never use channel binding, and say so with "n" rather than "y": "y" would tell a server that offers
// SCRAM-SHA-256-PLUS that we believe it does not, which Postgres rightly treats as a downgrade attack.
const GS2_HEADER = 'n,,'

const SERVER_FIRST = 'server-first-message'
const SERVER_FINAL = 'server-final-message'

/** RFC 5802 saslname: "=" and "," must be escaped inside the user name. */
function escapeUsername(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C')
}

/** What server-first-message tells the client. */
interface ServerFirst {
  nonce: string
  salt: Buffer
  iterations: number
}

/** Parses server-first-message: combined nonce, salt and iteration count, nothing else (as libpq). */
function parseServerFirst(text: string, clientNonce: string): ServerFirst {
  const attrs = parseAttributes(text, SERVER_FIRST)
  if (attrs[0]?.name === 'm') throw new ScramProtocolError('server requires an unsupported SCRAM extension')
  const nonce = attribute(attrs, 0, 'r', SERVER_FIRST)
  // RFC 5802 has the server append its own part. libpq only checks the prefix; we also insist on a
  // non-empty server part, since a server that adds nothing is broken or not playing fair.
  if (!isPrintable(nonce) || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    throw new ScramProtocolError('server nonce does not extend the client nonce')
  }
  const salt = decodeBase64(attribute(attrs, 1, 's', SERVER_FIRST))
  if (!salt?.length) throw malformed(SERVER_FIRST, 'invalid salt')
  const iterText = attribute(attrs, 2, 'i', SERVER_FIRST)
  const iterations = /^[1-9][0-9]{0,9}$/.test(iterText) ? Number(iterText) : 0
  if (iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) {
    throw malformed(SERVER_FIRST, 'invalid iteration count')
  }
  if (attrs.length > 3) throw malformed(SERVER_FIRST, 'garbage at end')
  return { nonce, salt, iterations }
}

/**
 * One SCRAM-SHA-256 login, client side. Call {@link clientFirstMessage}, then {@link handleServerFirst},
 * then {@link verifyServerFinal}; any failure throws {@link ScramProtocolError} and ends the session.
 *
 * Only trust the server's AuthenticationOk once `state` is "succeeded": a server that skips the final
 * message has not proven it knows the password.
 */
export class ScramClientSession {
  #state: ScramClientState = 'initial'
  readonly #password: Buffer | ScramClientKeys
  readonly #clientNonce: string
  readonly #clientFirstBare: string
  #expectedServerSignature: Buffer | undefined

  /**
   * @param password the plaintext password (SASLprep'd as Postgres does; bytes are used raw if not UTF-8),
   *   or the keys of the user's secret.
   * @param clientNonce defaults to 18 random bytes in base64; pass one (printable, no ",") only in tests.
   * @param username goes into the message only for completeness: Postgres ignores it and uses the startup
   *   packet's user, hence the default "*".
   */
  constructor(
    password: string | Uint8Array | ScramClientKeys,
    clientNonce: string = randomNonce(),
    username = '*',
  ) {
    if (!isPrintable(clientNonce)) throw new RangeError('SCRAM client nonce must be printable and non-empty')
    this.#password =
      typeof password === 'string' || password instanceof Uint8Array ? scramPasswordBytes(password) : password
    this.#clientNonce = clientNonce
    this.#clientFirstBare = `n=${escapeUsername(username)},r=${clientNonce}`
  }

  /** Current state of the exchange. */
  get state(): ScramClientState {
    return this.#state
  }

  /** The client-first-message, data of SASLInitialResponse. */
  clientFirstMessage(): string {
    this.#expect('initial', 'client-first-message')
    this.#state = 'awaiting-server-first'
    return GS2_HEADER + this.#clientFirstBare
  }

  /** Handles server-first-message (AuthenticationSASLContinue) and returns the client-final-message. */
  handleServerFirst(text: string): string {
    this.#expect('awaiting-server-first', SERVER_FIRST)
    return this.#guard(() => {
      const { nonce, salt, iterations } = parseServerFirst(text, this.#clientNonce)
      const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`
      const authMessage = Buffer.from(`${this.#clientFirstBare},${text},${withoutProof}`, 'utf8')
      const { clientKey, storedKey, serverKey } = this.#keys(salt, iterations)
      const proof = xorBytes(clientKey, hmac(storedKey, authMessage))
      this.#expectedServerSignature = hmac(serverKey, authMessage)
      this.#state = 'awaiting-server-final'
      return `${withoutProof},p=${proof.toString('base64')}`
    })
  }

  /**
   * Checks server-final-message (AuthenticationSASLFinal): proves the server knew the password.
   *
   * @throws ScramProtocolError on an "e=" server error, a wrong signature, or malformed text.
   */
  verifyServerFinal(text: string): void {
    this.#expect('awaiting-server-final', SERVER_FINAL)
    this.#guard(() => {
      const attrs = parseAttributes(text, SERVER_FINAL)
      if (attrs[0]?.name === 'e') {
        throw new ScramProtocolError(`server reported SCRAM error: ${clip(attrs[0].value)}`)
      }
      const signature = decodeBase64(attribute(attrs, 0, 'v', SERVER_FINAL))
      if (!signature || attrs.length > 1) throw malformed(SERVER_FINAL, 'invalid signature or garbage at end')
      if (!constantTimeEqual(signature, this.#expectedServerSignature!)) {
        throw new ScramProtocolError('invalid server signature: the server does not know the password')
      }
      this.#state = 'succeeded'
    })
  }

  /** The keys for the server's salt and iterations: derived from the password, or the given ones. */
  #keys(salt: Buffer, iterations: number): ScramKeys {
    const password = this.#password
    if (password instanceof Uint8Array) return deriveScramKeys(password, salt, iterations)
    if (!password.salt.equals(salt) || password.iterations !== iterations) {
      throw new ScramProtocolError(
        "the server's SCRAM salt or iteration count is not the one of the secret the keys came from",
      )
    }
    const { clientKey, serverKey } = password
    return { clientKey, storedKey: sha256(clientKey), serverKey }
  }

  /** Rejects a message the session is not waiting for; an exchange in progress cannot continue after that. */
  #expect(state: ScramClientState, what: string): void {
    const actual = this.#state
    if (actual === state) return
    if (actual !== 'succeeded') this.#state = 'failed'
    throw new ScramProtocolError(`unexpected ${what} in state ${actual}`)
  }

  /** Runs a step, marking the session failed if it throws so that it cannot be resumed. */
  #guard<T>(step: () => T): T {
    try {
      return step()
    } catch (error) {
      this.#state = 'failed'
      throw error
    }
  }
}
