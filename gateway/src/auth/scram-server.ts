/**
 * Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), as Postgres implements it in auth-scram.c: what Skiff
 * runs when a client logs in to it. Pure: the caller frames the SASLInitialResponse / SASLResponse payloads
 * and wraps the returned strings in AuthenticationSASLContinue / AuthenticationSASLFinal.
 */

import {
  attribute,
  clip,
  constantTimeEqual,
  decodeBase64,
  hmac,
  isPrintable,
  malformed,
  parseAttributes,
  randomNonce,
  SCRAM_KEY_LENGTH,
  ScramProtocolError,
  sha256,
  xorBytes,
} from './scram-common.js'
import type { ScramSecret } from './scram-secret.js'

export { ScramProtocolError } from './scram-common.js'

/** Where a {@link ScramServerSession} is in the exchange. */
export type ScramServerState = 'awaiting-client-first' | 'awaiting-client-final' | 'succeeded' | 'failed'

/** Outcome of the client-final message: `reason` is for logs only; clients should get a generic error. */
export type ScramServerFinalResult = { ok: true; serverFinal: string } | { ok: false; reason: string }

const FIRST = 'client-first-message'
const FINAL = 'client-final-message'

// base64("n,,") and base64("y,,"), the only values possible without channel binding. Like Postgres, accept
// either whichever flag was sent: neither binds anything, and the proof covers the value anyway.
const NO_CHANNEL_BINDING = new Set(['biws', 'eSws'])

/**
 * Messages are handled as latin1 "binary strings" (one char per byte), so that the exact bytes the client
 * sent go into AuthMessage even where they are not valid UTF-8 (the ignored user name may be anything).
 */
function toBinaryString(data: Uint8Array | string): string {
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength) // a view: decoded below, never kept
  const text = bytes.toString('latin1')
  // Postgres reads these as C strings, so an embedded NUL is malformed, not a terminator.
  if (text.length === 0 || text.includes('\0')) throw malformed('SCRAM message', 'empty or contains NUL')
  return text
}

/** Checks the gs2 header and returns client-first-message-bare. Only "n,," and "y,," are acceptable. */
function stripGs2Header(message: string): string {
  const flagEnd = message.indexOf(',')
  const authzidEnd = message.indexOf(',', flagEnd + 1)
  if (flagEnd < 0 || authzidEnd < 0) throw malformed(FIRST, 'no gs2 header')
  const flag = message.slice(0, flagEnd)
  if (flag.startsWith('p=')) {
    throw new ScramProtocolError('client requires channel binding, but SCRAM-SHA-256-PLUS is not offered')
  }
  if (flag !== 'n' && flag !== 'y') throw malformed(FIRST, `gs2 flag "${clip(flag)}"`)
  if (authzidEnd !== flagEnd + 1) {
    throw new ScramProtocolError('client uses an authorization identity (a=), which is not supported')
  }
  return message.slice(authzidEnd + 1)
}

/** Extracts the client nonce from client-first-message-bare. */
function parseClientFirstBare(bare: string): string {
  const attrs = parseAttributes(bare, FIRST)
  if (attrs[0]?.name === 'm') throw new ScramProtocolError('client requires an unsupported SCRAM extension')
  // The user name is ignored, as in Postgres: the startup packet names the user, and clients send "" or "*".
  attribute(attrs, 0, 'n', FIRST)
  const nonce = attribute(attrs, 1, 'r', FIRST)
  if (!isPrintable(nonce)) throw malformed(FIRST, 'invalid nonce')
  return nonce
}

/** The parts of client-final-message that verification needs. */
interface ClientFinal {
  withoutProof: string
  channelBinding: string
  nonce: string
  proof: Buffer
}

/** Splits client-final-message into its proof and the part AuthMessage covers. */
function parseClientFinal(message: string): ClientFinal {
  const proofAt = message.lastIndexOf(',p=')
  if (proofAt < 0) throw malformed(FINAL, 'no proof')
  const withoutProof = message.slice(0, proofAt)
  const attrs = parseAttributes(withoutProof, FINAL)
  const channelBinding = attribute(attrs, 0, 'c', FINAL)
  const nonce = attribute(attrs, 1, 'r', FINAL)
  // Any further attributes are extensions, which RFC 5802 says to ignore when not understood.
  const proof = decodeBase64(message.slice(proofAt + 3))
  if (proof?.length !== SCRAM_KEY_LENGTH) throw malformed(FINAL, 'invalid proof')
  return { withoutProof, channelBinding, nonce, proof }
}

/**
 * One SCRAM-SHA-256 login, server side. Create one per authentication attempt; feed it the client's two
 * messages in order. Malformed input or out-of-order calls throw {@link ScramProtocolError} (a protocol
 * violation), while a wrong password yields `{ ok: false }`; either way the session is then finished.
 */
export class ScramServerSession {
  #state: ScramServerState = 'awaiting-client-first'
  readonly #secret: ScramSecret
  readonly #serverNonce: string
  #nonce = ''
  #clientFirstBare = ''
  #serverFirst = ''

  /**
   * @param secret the user's stored secret. For unknown users pass a made-up secret and let the proof fail,
   *   so that the exchange does not reveal which users exist (Postgres does the same).
   * @param serverNonce the server's nonce part: bytes are base64-encoded; a string (printable, no ",") is
   *   used verbatim, which test vectors need. Defaults to 18 random bytes.
   * @throws RangeError if the given nonce is empty or not printable.
   */
  constructor(secret: ScramSecret, serverNonce?: Uint8Array | string) {
    this.#secret = secret
    if (typeof serverNonce === 'string') this.#serverNonce = serverNonce
    else this.#serverNonce = serverNonce ? Buffer.from(serverNonce).toString('base64') : randomNonce()
    if (!isPrintable(this.#serverNonce)) throw new RangeError('SCRAM server nonce must be printable')
  }

  /** Current state of the exchange. */
  get state(): ScramServerState {
    return this.#state
  }

  /** Handles the client-first-message (SASLInitialResponse data) and returns the server-first-message. */
  handleClientFirst(data: Uint8Array | string): { serverFirst: string } {
    this.#expect('awaiting-client-first', FIRST)
    return this.#guard(() => {
      this.#clientFirstBare = stripGs2Header(toBinaryString(data))
      this.#nonce = parseClientFirstBare(this.#clientFirstBare) + this.#serverNonce
      const { iterations, salt } = this.#secret
      this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`
      this.#state = 'awaiting-client-final'
      return { serverFirst: this.#serverFirst }
    })
  }

  /** Handles the client-final-message (SASLResponse data): verifies it and signs the server-final-message. */
  handleClientFinal(data: Uint8Array | string): ScramServerFinalResult {
    this.#expect('awaiting-client-final', FINAL)
    return this.#guard(() => {
      const final = parseClientFinal(toBinaryString(data))
      this.#state = 'failed'
      if (!NO_CHANNEL_BINDING.has(final.channelBinding))
        return { ok: false, reason: 'channel binding mismatch' }
      if (final.nonce !== this.#nonce) return { ok: false, reason: 'nonce mismatch' }
      const authText = `${this.#clientFirstBare},${this.#serverFirst},${final.withoutProof}`
      const authMessage = Buffer.from(authText, 'latin1')
      // The proof is ClientKey XOR HMAC(StoredKey, AuthMessage): recover ClientKey and check H(ClientKey).
      const clientKey = xorBytes(final.proof, hmac(this.#secret.storedKey, authMessage))
      if (!constantTimeEqual(sha256(clientKey), this.#secret.storedKey))
        return { ok: false, reason: 'invalid proof' }
      this.#state = 'succeeded'
      return { ok: true, serverFinal: `v=${hmac(this.#secret.serverKey, authMessage).toString('base64')}` }
    })
  }

  /** Rejects a message the session is not waiting for; an exchange in progress cannot continue after that. */
  #expect(state: ScramServerState, what: string): void {
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
