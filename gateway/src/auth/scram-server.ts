/**
 * Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), as Postgres implements it in auth-scram.c: what Skiff
 * runs when a client logs in to it. Pure: the caller frames the SASLInitialResponse / SASLResponse payloads
 * and wraps the returned strings in AuthenticationSASLContinue / AuthenticationSASLFinal.
 *
 * Parsing follows Postgres 15 check for check, so that a client gets the same verdict, SQLSTATE and
 * message from Skiff as from the server behind it: every error is a {@link ScramProtocolError} whose
 * message and detail are Postgres's, and which quotes at most one sanitized character of the client's text.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth-scram.c
 */

import {
  constantTimeEqual,
  decodeBase64AsPostgres,
  hmac,
  isPrintable,
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

/**
 * Outcome of the client-final message: `reason` is for logs only; clients should get a generic error.
 * On success `clientKey` is the ClientKey the proof carried: with it (and the secret's ServerKey) the
 * gateway can log in to a server as this user without the password, as PgBouncer does for auth_query.
 */
export type ScramServerFinalResult =
  | { ok: true; serverFinal: string; clientKey: Buffer }
  | { ok: false; reason: string }

/** Postgres's errmsg for every syntax error; the detail says which. */
const MALFORMED = 'malformed SCRAM message'

function malformed(detail: string): ScramProtocolError {
  return new ScramProtocolError(MALFORMED, { detail })
}

/**
 * One character of client text, fit for an error message: printable ASCII quoted, anything else in hex.
 * `undefined` (past the end) is the C string's terminator, shown as Postgres shows it.
 * @see auth-scram.c sanitize_char
 */
function sanitizeChar(c: string | undefined): string {
  const code = c === undefined ? 0 : c.charCodeAt(0)
  return code >= 0x21 && code <= 0x7e ? `'${c}'` : `0x${code.toString(16).padStart(2, '0')}`
}

/**
 * Messages are handled as latin1 "binary strings" (one char per byte), so that the exact bytes the client
 * sent go into AuthMessage even where they are not valid UTF-8 (the ignored user name may be anything).
 * @see auth-scram.c scram_exchange: Postgres reads them as C strings, so an embedded NUL is malformed.
 */
function toBinaryString(data: Uint8Array | string): string {
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength) // a view: decoded below, never kept
  if (bytes.length === 0) throw malformed('The message is empty.')
  const text = bytes.toString('latin1')
  if (text.includes('\0')) throw malformed('Message length does not match input length.')
  return text
}

/**
 * A cursor over `attr=value,attr=value...`, reading as Postgres does: a value runs to the next "," or the
 * end, and a "," right at the end is consumed with the value before it (so one trailing comma passes).
 */
class AttributeReader {
  at = 0
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.at >= this.text.length
  }

  /** Reads `name=value`, insisting on `name`. @see auth-scram.c read_attr_value */
  expect(name: string): string {
    const found = this.text[this.at]
    if (found !== name) throw malformed(`Expected attribute "${name}" but found "${sanitizeChar(found)}".`)
    return this.#value(name)
  }

  /** Reads any `X=value` with X a letter. @see auth-scram.c read_any_attr */
  any(): { name: string; value: string } {
    if (this.done) throw malformed('Attribute expected, but found end of string.')
    const name = this.text[this.at]!
    if (!/^[A-Za-z]$/.test(name)) {
      throw malformed(`Attribute expected, but found invalid character "${sanitizeChar(name)}".`)
    }
    return { name, value: this.#value(name) }
  }

  #value(name: string): string {
    if (this.text[this.at + 1] !== '=') throw malformed(`Expected character "=" for attribute "${name}".`)
    const begin = this.at + 2
    const comma = this.text.indexOf(',', begin)
    const end = comma < 0 ? this.text.length : comma
    this.at = comma < 0 ? end : end + 1
    return this.text.slice(begin, end)
  }
}

/** RFC 5802 `printable`, as Postgres checks the client nonce: an empty one passes (is_scram_printable). */
const SCRAM_PRINTABLE = /^[\x21-\x2b\x2d-\x7e]*$/

/** What the client-first-message tells the server. */
interface ClientFirst {
  /** The gs2 channel-binding flag, "n" or "y"; client-final must repeat it. */
  flag: 'n' | 'y'
  bare: string
  nonce: string
}

/**
 * Reads the gs2 header: "n," or "y," and no authzid. Skiff offers no SCRAM-SHA-256-PLUS (no TLS), so "p="
 * is malformed here and "y" (the client could bind but thinks we cannot) is true and accepted.
 * @see auth-scram.c read_client_first_message
 */
function readGs2Header(text: string): 'n' | 'y' {
  const flag = text[0]
  if (flag === 'p') {
    throw malformed(
      'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.',
    )
  }
  if (flag !== 'n' && flag !== 'y')
    throw malformed(`Unexpected channel-binding flag "${sanitizeChar(flag)}".`)
  if (text[1] !== ',') throw malformed(`Comma expected, but found character "${sanitizeChar(text[1])}".`)
  if (text[2] === 'a') {
    throw new ScramProtocolError('client uses authorization identity, but it is not supported', {
      unsupported: true,
    })
  }
  if (text[2] !== ',') {
    throw malformed(`Unexpected attribute "${sanitizeChar(text[2])}" in client-first-message.`)
  }
  return flag
}

/** Parses client-first-message. @see auth-scram.c read_client_first_message */
function parseClientFirst(text: string): ClientFirst {
  const flag = readGs2Header(text)
  const bare = text.slice(3)
  if (bare[0] === 'm') {
    throw new ScramProtocolError('client requires an unsupported SCRAM extension', { unsupported: true })
  }
  const reader = new AttributeReader(bare)
  // The user name is ignored, as in Postgres: the startup packet names the user, and clients send "" or "*".
  reader.expect('n')
  const nonce = reader.expect('r')
  if (!SCRAM_PRINTABLE.test(nonce)) throw new ScramProtocolError('non-printable characters in SCRAM nonce')
  // Optional extensions may follow; none is supported, so each is only checked for shape.
  while (!reader.done) reader.any()
  return { flag, bare, nonce }
}

/** The parts of client-final-message that verification needs. */
interface ClientFinal {
  withoutProof: string
  nonce: string
  proof: Buffer
}

/**
 * Parses client-final-message. Without channel binding its "c=" must be base64 of the very gs2 header
 * client-first had: "biws" after "n,,", "eSws" after "y,,".
 * @see auth-scram.c read_client_final_message
 */
function parseClientFinal(text: string, flag: 'n' | 'y'): ClientFinal {
  const reader = new AttributeReader(text)
  const binding = reader.expect('c')
  if (binding !== (flag === 'n' ? 'biws' : 'eSws')) {
    throw new ScramProtocolError('unexpected SCRAM channel-binding attribute in client-final-message')
  }
  const nonce = reader.expect('r')
  // Extensions before the proof are skipped (they are still covered by the proof).
  let proofAt: number
  let attr: { name: string; value: string }
  do {
    proofAt = reader.at - 1
    attr = reader.any()
  } while (attr.name !== 'p')
  const proof = decodeBase64AsPostgres(attr.value)
  if (proof?.length !== SCRAM_KEY_LENGTH) throw malformed('Malformed proof in client-final-message.')
  if (!reader.done) throw malformed('Garbage found at the end of client-final-message.')
  return { withoutProof: text.slice(0, proofAt), nonce, proof }
}

/**
 * One SCRAM-SHA-256 login, server side. Create one per authentication attempt; feed it the client's two
 * messages in order. Malformed input, a nonce that is not the exchange's, or out-of-order calls throw
 * {@link ScramProtocolError} (a protocol violation), while a wrong password yields `{ ok: false }`; either
 * way the session is then finished.
 */
export class ScramServerSession {
  #state: ScramServerState = 'awaiting-client-first'
  readonly #secret: ScramSecret
  readonly #serverNonce: string
  #first?: ClientFirst
  #nonce = ''
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
    this.#expect('awaiting-client-first')
    return this.#guard(() => {
      this.#first = parseClientFirst(toBinaryString(data))
      this.#nonce = this.#first.nonce + this.#serverNonce
      const { iterations, salt } = this.#secret
      this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`
      this.#state = 'awaiting-client-final'
      return { serverFirst: this.#serverFirst }
    })
  }

  /**
   * Handles the client-final-message (SASLResponse data): verifies it and signs the server-final-message.
   * The order of the checks is Postgres's: syntax (with the channel binding), then the nonce, then the proof.
   */
  handleClientFinal(data: Uint8Array | string): ScramServerFinalResult {
    this.#expect('awaiting-client-final')
    return this.#guard(() => {
      const final = parseClientFinal(toBinaryString(data), this.#first!.flag)
      this.#state = 'failed'
      // A nonce that is not this exchange's is a protocol violation, not a wrong password (verify_final_nonce).
      if (final.nonce !== this.#nonce) {
        throw new ScramProtocolError('invalid SCRAM response', { detail: 'Nonce does not match.' })
      }
      const authText = `${this.#first!.bare},${this.#serverFirst},${final.withoutProof}`
      const authMessage = Buffer.from(authText, 'latin1')
      // The proof is ClientKey XOR HMAC(StoredKey, AuthMessage): recover ClientKey and check H(ClientKey).
      const clientKey = xorBytes(final.proof, hmac(this.#secret.storedKey, authMessage))
      if (!constantTimeEqual(sha256(clientKey), this.#secret.storedKey))
        return { ok: false, reason: 'invalid proof' }
      this.#state = 'succeeded'
      const serverFinal = `v=${hmac(this.#secret.serverKey, authMessage).toString('base64')}`
      return { ok: true, serverFinal, clientKey }
    })
  }

  /** Rejects a message the session is not waiting for; an exchange in progress cannot continue after that. */
  #expect(state: ScramServerState): void {
    const actual = this.#state
    if (actual === state) return
    if (actual !== 'succeeded') this.#state = 'failed'
    throw new ScramProtocolError('invalid SCRAM exchange state', {
      detail: `Expected ${state}, was ${actual}.`,
    })
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
