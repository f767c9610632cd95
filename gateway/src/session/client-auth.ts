/**
 * How a client proves who it is to the gateway: one flow per method behind one interface, chosen from
 * the user's `auth_type` and the kind of password the config stores.
 * @see https://www.postgresql.org/docs/current/auth-password.html
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { isMd5PasswordHash, md5PasswordHash, verifyMd5Response } from '../auth/md5.js'
import { makeScramSecret, parseScramSecret, type ScramSecret } from '../auth/scram-secret.js'
import { ScramServerSession } from '../auth/scram-server.js'
import { GatewayError } from '../errors.js'
import {
  serializeAuthenticationCleartextPassword,
  serializeAuthenticationMD5Password,
  serializeAuthenticationSASL,
  serializeAuthenticationSASLContinue,
  serializeAuthenticationSASLFinal,
} from '../protocol/backend.js'
import { parsePasswordMessage, parseSASLInitialResponse, parseSASLResponse } from '../protocol/frontend.js'
import { randomBytesPooled } from '../util/random-pool.js'

/** What one step of an exchange yields: bytes to send, and whether the client is now authenticated. */
export interface AuthStep {
  send?: Buffer
  authenticated: boolean
}

/** One authentication exchange, fed each password-type message the client sends. */
export interface ClientAuthFlow {
  /** The first Authentication request (or, for trust, authenticated at once). */
  start(): AuthStep
  handle(buf: Buffer, start: number, end: number): AuthStep
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
const SASL_OFFER = serializeAuthenticationSASL(['SCRAM-SHA-256'])

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

class CleartextFlow implements ClientAuthFlow {
  constructor(
    private readonly cred: UserCredential | undefined,
    private readonly username: string,
  ) {}
  start(): AuthStep {
    return { send: serializeAuthenticationCleartextPassword(), authenticated: false }
  }
  handle(buf: Buffer, start: number, end: number): AuthStep {
    const given = parsePasswordMessage(buf, start, end)
    if (this.cred === undefined || !matchesPlaintext(this.cred, given)) throw authFailed(this.username)
    return DONE
  }
}

class Md5Flow implements ClientAuthFlow {
  private readonly salt = randomBytesPooled(4)
  constructor(private readonly cred: UserCredential) {}
  start(): AuthStep {
    return { send: serializeAuthenticationMD5Password(this.salt), authenticated: false }
  }
  handle(buf: Buffer, start: number, end: number): AuthStep {
    const response = parsePasswordMessage(buf, start, end)
    if (!verifyMd5Response(this.cred.username, md5HashOf(this.cred), this.salt, response)) {
      throw authFailed(this.cred.username)
    }
    return DONE
  }
}

class ScramFlow implements ClientAuthFlow {
  private readonly session: ScramServerSession
  private step: 'initial' | 'final' = 'initial'
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
    if (this.step === 'initial') {
      const { mechanism, data } = parseSASLInitialResponse(buf, start, end)
      if (mechanism !== 'SCRAM-SHA-256') {
        throw new GatewayError(
          'PROTOCOL_VIOLATION',
          `client selected an invalid SASL authentication mechanism "${mechanism}"`,
          { severity: 'FATAL' },
        )
      }
      this.step = 'final'
      const serverFirst = this.session.handleClientFirst(data).serverFirst
      return { send: serializeAuthenticationSASLContinue(serverFirst), authenticated: false }
    }
    const result = this.session.handleClientFinal(parseSASLResponse(buf, start, end))
    if (!result.ok || this.mock) throw authFailed(this.username)
    return { send: serializeAuthenticationSASLFinal(result.serverFinal), authenticated: true }
  }
}
