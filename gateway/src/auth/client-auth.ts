/**
 * How a client proves who it is to the gateway: one flow per method behind one interface, chosen from
 * the user's `auth_type` and the kind of password the config stores.
 * @see https://www.postgresql.org/docs/current/auth-password.html
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { GatewayError } from '../errors.js'
import {
  serializeAuthenticationCleartextPassword,
  serializeAuthenticationMD5Password,
  serializeAuthenticationSASL,
  serializeAuthenticationSASLContinue,
  serializeAuthenticationSASLFinal,
} from '../protocol/backend.js'
import { parsePasswordMessage, parseSASLInitialResponse, parseSASLResponse } from '../protocol/frontend.js'
import { MessageFormatError } from '../protocol/reader.js'
import { randomBytesPooled } from '../util/random-pool.js'
import { isMd5PasswordHash, md5PasswordHash, verifyMd5Response } from './md5.js'
import { SCRAM_MECHANISM } from './scram-common.js'
import { makeScramSecret, parseScramSecret, type ScramSecret } from './scram-secret.js'
import { ScramProtocolError, ScramServerSession } from './scram-server.js'

/**
 * What a successful login proved beyond "the password matched", for logging in to servers as this
 * user without a stored password (auth_query): the ClientKey of a SCRAM proof, or a cleartext password.
 * Kept in memory only, never logged.
 */
export type AuthProof = { clientKey: Buffer } | { password: string }

/** What one step of an exchange yields: bytes to send, and whether the client is now authenticated. */
export interface AuthStep {
  send?: Buffer
  authenticated: boolean
  /** Set on the last step of a SCRAM or cleartext login. */
  proof?: AuthProof
}

/** One authentication exchange, fed each password-type message the client sends. */
export interface ClientAuthFlow {
  /** The first Authentication request (or, for trust, authenticated at once). */
  start(): AuthStep
  handle(buf: Buffer, start: number, end: number): AuthStep
  /**
   * What the client is told when its next message is longer than any message of this exchange may be
   * (the gateway refuses it from its length, before reading it); undefined: a protocol violation.
   */
  tooLong?(): GatewayError
  /** SASL exchanges are named so in Postgres's "expected SASL response" error. */
  readonly sasl?: boolean
  /**
   * After a failed last step: checks the same answer again against a credential fetched anew (auth_query
   * after a password change). Only md5 can (the answer covers only the salt it was given); undefined
   * when the answer does not match or the flow cannot check again.
   */
  recheck?(cred: UserCredential): AuthStep | undefined
}

/**
 * The methods a client can be asked for. `ignore-password` is trust for a client that sends a
 * password unasked (the Neon driver's pipelined login): the password is read and not checked.
 */
export type ClientAuthMethod = 'scram-sha-256' | 'md5' | 'password' | 'trust' | 'ignore-password'

/** What the config knows of a user's password, prepared once per user. */
export interface UserCredential {
  username: string
  /** Plaintext, md5 hash or SCRAM secret from the config. */
  password?: string
  /** Derived lazily: PBKDF2 is slow, so it is computed once per user, not per login. */
  scramSecret?: ScramSecret
  /**
   * Keyed digest of the last cleartext password that matched a stored SCRAM secret, so HTTP and
   * WebSocket logins (a cleartext password each time) do not pay PBKDF2 on every request.
   */
  verifiedDigest?: Buffer
  /** Derived lazily: the pg_authid md5 form, so an md5 login hashes once (the challenge), not twice. */
  md5Hash?: string
}

/** Postgres's wording, so client tooling recognises it. */
export function authFailed(username: string): GatewayError {
  return new GatewayError('AUTH_FAILED', `password authentication failed for user "${username}"`, {
    severity: 'FATAL',
  })
}

/** The stored md5 hash itself, or "md5" + md5hex(password + username) for a plaintext password. */
function md5HashOf(cred: UserCredential): string {
  const pw = cred.password ?? ''
  cred.md5Hash ??= isMd5PasswordHash(pw) ? pw : md5PasswordHash(cred.username, pw)
  return cred.md5Hash
}

function scramSecretOf(cred: UserCredential): ScramSecret {
  cred.scramSecret ??= parseScramSecret(cred.password ?? '') ?? makeScramSecret(cred.password ?? '')
  return cred.scramSecret
}

/**
 * Picks the flow: `auth_type` as configured, except that a stored md5 hash can only serve md5 and a
 * stored SCRAM secret only SCRAM (Postgres's `md5` method makes the same switch).
 */
export function createClientAuthFlow(
  method: ClientAuthMethod,
  cred: UserCredential | undefined,
  username: string,
): ClientAuthFlow {
  if (cred === undefined) {
    // Unknown users go through the steps of the method they asked for, then fail the same way.
    return method === 'password'
      ? new CleartextFlow(undefined, username)
      : new ScramFlow(mockSecret(), username, true)
  }
  if (method === 'trust') return { start: () => DONE, handle: () => DONE }
  if (method === 'ignore-password') return { start: () => ({ authenticated: false }), handle: () => DONE }
  const pw = cred.password ?? ''
  if (method === 'password') return new CleartextFlow(cred, username)
  if (isMd5PasswordHash(pw)) return new Md5Flow(cred)
  if (method === 'md5' && parseScramSecret(pw) === undefined) return new Md5Flow(cred)
  return new ScramFlow(scramSecretOf(cred), username, false)
}

const DONE: AuthStep = { authenticated: true }
/** The same bytes for every SCRAM login; writes do not retain or modify them. */
const SASL_OFFER = serializeAuthenticationSASL([SCRAM_MECHANISM])

let mock: ScramSecret | undefined
/** A secret no password matches, so unknown users go through the same steps and fail the same way. */
function mockSecret(): ScramSecret {
  mock ??= makeScramSecret(randomBytes(24).toString('base64'))
  return mock
}

/** Checks a cleartext password against whatever form the config stores. */
function matchesPlaintext(cred: UserCredential, given: string): boolean {
  const pw = cred.password ?? ''
  if (isMd5PasswordHash(pw)) return timingSafeEqualText(md5PasswordHash(cred.username, given), pw)
  const secret = parseScramSecret(pw)
  if (secret === undefined) return timingSafeEqualText(given, pw)
  const digest = createHmac('sha256', DIGEST_KEY).update(given).digest()
  if (cred.verifiedDigest !== undefined && timingSafeEqual(digest, cred.verifiedDigest)) return true
  const candidate = makeScramSecret(given, { iterations: secret.iterations, salt: secret.salt })
  const ok = timingSafeEqual(candidate.storedKey, secret.storedKey)
  if (ok) cred.verifiedDigest = digest
  return ok
}

/** Per-process key of {@link UserCredential.verifiedDigest}: the digest is useless outside this process. */
const DIGEST_KEY = randomBytes(32)

function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Largest length word (the message minus its type byte) of a PasswordMessage: Postgres's
 * PG_MAX_AUTH_TOKEN_LENGTH in recv_password_packet.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth.c
 */
export const MAX_PASSWORD_MESSAGE_LENGTH = 65535

/**
 * Largest length word of a SASLInitialResponse or SASLResponse: Postgres's PG_MAX_SASL_MESSAGE_LENGTH.
 * Postgres answers a longer one as a failed login (28P01), so a client nonce is at most about 1000 bytes.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth-sasl.c CheckSASLAuth
 */
export const MAX_SASL_MESSAGE_LENGTH = 1024

/** A protocol violation during login: FATAL, as every error before the session starts is in Postgres. */
function loginViolation(message: string, detail?: string): GatewayError {
  return new GatewayError('PROTOCOL_VIOLATION', message, { severity: 'FATAL', detail })
}

/**
 * Reads a PasswordMessage as Postgres's recv_password_packet does: a bounded length, one NUL-terminated
 * string, and never an empty password (which some external password checks would take as "none").
 */
function readPassword(buf: Buffer, start: number, end: number): string {
  // Postgres drops the connection here; Skiff's framer answers an oversized pre-login message with 08P01.
  if (end - start - 1 > MAX_PASSWORD_MESSAGE_LENGTH) throw loginViolation('invalid message length')
  let password: string
  try {
    password = parsePasswordMessage(buf, start, end)
  } catch (error) {
    if (error instanceof MessageFormatError) throw loginViolation(error.message)
    throw error
  }
  if (password === '')
    throw new GatewayError('AUTH_FAILED', 'empty password returned by client', { severity: 'FATAL' })
  return password
}

class CleartextFlow implements ClientAuthFlow {
  constructor(
    private readonly cred: UserCredential | undefined,
    private readonly username: string,
  ) {}
  start(): AuthStep {
    return { send: serializeAuthenticationCleartextPassword(), authenticated: false }
  }
  handle(buf: Buffer, start: number, end: number): AuthStep {
    const given = readPassword(buf, start, end)
    if (this.cred === undefined || !matchesPlaintext(this.cred, given)) throw authFailed(this.username)
    return { authenticated: true, proof: { password: given } }
  }
}

class Md5Flow implements ClientAuthFlow {
  private readonly salt = randomBytesPooled(4)
  /** The client's answer, kept for {@link recheck}. */
  private response?: string
  constructor(private readonly cred: UserCredential) {}
  start(): AuthStep {
    return { send: serializeAuthenticationMD5Password(this.salt), authenticated: false }
  }
  handle(buf: Buffer, start: number, end: number): AuthStep {
    const response = readPassword(buf, start, end)
    this.response = response
    if (!verifyMd5Response(this.cred.username, md5HashOf(this.cred), this.salt, response)) {
      throw authFailed(this.cred.username)
    }
    return DONE
  }
  recheck(cred: UserCredential): AuthStep | undefined {
    const response = this.response
    if (response === undefined || parseScramSecret(cred.password ?? '') !== undefined) return undefined
    return verifyMd5Response(cred.username, md5HashOf(cred), this.salt, response) ? DONE : undefined
  }
}

/**
 * A SCRAM failure as the client must see it: FATAL with Postgres's SQLSTATE (0A000 for an unsupported
 * feature, else 08P01), message and detail. Anything else is a bug and is rethrown as it is.
 */
function scramFailure(error: unknown): unknown {
  if (error instanceof ScramProtocolError) {
    const code = error.unsupported ? 'FEATURE_NOT_SUPPORTED' : 'PROTOCOL_VIOLATION'
    return new GatewayError(code, error.message, { severity: 'FATAL', detail: error.detail, cause: error })
  }
  if (error instanceof MessageFormatError) return loginViolation(error.message)
  return error
}

/**
 * SCRAM-SHA-256 as Postgres's CheckSASLAuth drives it: the first 'p' message is always the
 * SASLInitialResponse; its data may be absent (length -1), in which case an empty challenge asks for the
 * client-first-message in a SASLResponse; then comes the client-final-message. The mock flow for unknown
 * users parses and fails exactly like the real one, only the proof can never match.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth-sasl.c
 */
class ScramFlow implements ClientAuthFlow {
  readonly sasl = true
  /** Postgres fails a SASL message over PG_MAX_SASL_MESSAGE_LENGTH as a failed login (28P01). */
  tooLong(): GatewayError {
    return authFailed(this.username)
  }

  private readonly session: ScramServerSession
  private step: 'initial' | 'client-first' | 'client-final' = 'initial'
  constructor(
    secret: ScramSecret,
    private readonly username: string,
    private readonly mock: boolean,
  ) {
    this.session = new ScramServerSession(secret)
  }
  start(): AuthStep {
    return { send: SASL_OFFER, authenticated: false }
  }
  handle(buf: Buffer, start: number, end: number): AuthStep {
    // Postgres reads a longer message as a failed exchange, and says so as for a wrong password.
    if (end - start - 1 > MAX_SASL_MESSAGE_LENGTH) throw authFailed(this.username)
    try {
      if (this.step === 'initial') return this.initial(buf, start, end)
      if (this.step === 'client-first') return this.clientFirst(parseSASLResponse(buf, start, end))
      return this.clientFinal(parseSASLResponse(buf, start, end))
    } catch (error) {
      throw scramFailure(error)
    }
  }

  /** SASLInitialResponse: Postgres checks the mechanism before the rest of the message. */
  private initial(buf: Buffer, start: number, end: number): AuthStep {
    const { mechanism, data, formatError } = parseSASLInitialResponse(buf, start, end)
    if (mechanism !== SCRAM_MECHANISM)
      throw loginViolation('client selected an invalid SASL authentication mechanism')
    if (formatError !== undefined) throw loginViolation(formatError)
    if (data !== undefined) return this.clientFirst(data)
    this.step = 'client-first'
    return { send: serializeAuthenticationSASLContinue(''), authenticated: false }
  }

  private clientFirst(data: Buffer): AuthStep {
    this.step = 'client-final'
    const serverFirst = this.session.handleClientFirst(data).serverFirst
    return { send: serializeAuthenticationSASLContinue(serverFirst), authenticated: false }
  }

  private clientFinal(data: Buffer): AuthStep {
    const result = this.session.handleClientFinal(data)
    if (!result.ok || this.mock) throw authFailed(this.username)
    const send = serializeAuthenticationSASLFinal(result.serverFinal)
    return { send, authenticated: true, proof: { clientKey: result.clientKey } }
  }
}
