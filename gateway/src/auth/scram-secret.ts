/**
 * SCRAM-SHA-256 secrets in the PostgreSQL pg_authid text format:
 *
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 * A secret lets Skiff *verify* a client (server side) but not log in anywhere itself: the client side
 * needs ClientKey, which cannot be recovered from StoredKey = H(ClientKey).
 */

import { randomBytes } from 'node:crypto'
import { scramPasswordBytes } from './saslprep.js'
import {
  decodeBase64,
  deriveScramKeys,
  SCRAM_KEY_LENGTH,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MECHANISM,
} from './scram-common.js'

/** What a server stores for a SCRAM-SHA-256 user (RFC 5802 section 3). */
export interface ScramSecret {
  /** PBKDF2 iteration count, 1..2^31-1. */
  readonly iterations: number
  /** Per-user random salt (Postgres uses 16 bytes). */
  readonly salt: Buffer
  /** H(ClientKey): checks the client's proof. */
  readonly storedKey: Buffer
  /** HMAC(SaltedPassword, "Server Key"): signs the server-final message. */
  readonly serverKey: Buffer
}

/** Options of {@link makeScramSecret}. */
export interface MakeScramSecretOptions {
  /** PBKDF2 iterations; defaults to 4096, Postgres's default (scram_iterations). */
  iterations?: number
  /** Salt to use; defaults to 16 fresh random bytes. Pass one only for tests or reproducible fixtures. */
  salt?: Uint8Array
}

/** Postgres's default iteration count. */
export const DEFAULT_SCRAM_ITERATIONS = 4096

// Kept loose on purpose: the pieces are validated one by one below so that a bad value is simply "not a
// SCRAM secret" (undefined) rather than half-parsed.
const SECRET_FORM = /^SCRAM-SHA-256\$([0-9]+):([^$:]+)\$([^$:]+):([^$:]+)$/

/** Parses an iteration count the way it must appear in a secret: a positive decimal without sign. */
function parseIterations(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined
  const value = Number(text)
  return value <= SCRAM_MAX_ITERATIONS ? value : undefined
}

/**
 * Parses a stored secret such as a `pg_authid.rolpassword` value.
 *
 * @returns the secret, or undefined if `text` is not a well-formed SCRAM-SHA-256 secret (e.g. an MD5 hash
 *   or a plaintext password), so callers can fall back to other formats.
 */
export function parseScramSecret(text: string): ScramSecret | undefined {
  const match = SECRET_FORM.exec(text)
  if (!match) return undefined
  const [, iterText = '', saltText = '', storedText = '', serverText = ''] = match
  const iterations = parseIterations(iterText)
  const salt = decodeBase64(saltText)
  const storedKey = decodeBase64(storedText)
  const serverKey = decodeBase64(serverText)
  if (iterations === undefined || !salt?.length) return undefined
  if (storedKey?.length !== SCRAM_KEY_LENGTH || serverKey?.length !== SCRAM_KEY_LENGTH) return undefined
  return { iterations, salt, storedKey, serverKey }
}

/**
 * Builds a secret from a password, as Postgres does for `ALTER ROLE ... PASSWORD` with
 * password_encryption = scram-sha-256. The password is SASLprep'd with Postgres's fallback of using it
 * unchanged when it is not valid for SASLprep (see saslprep.ts); ASCII passwords are used as they are.
 *
 * @throws RangeError if iterations is not an integer in 1..2^31-1 or the salt is empty.
 */
export function makeScramSecret(
  password: string | Uint8Array,
  options: MakeScramSecretOptions = {},
): ScramSecret {
  const { iterations = DEFAULT_SCRAM_ITERATIONS } = options
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iteration count must be an integer in 1..${SCRAM_MAX_ITERATIONS}`)
  }
  const salt = Buffer.from(options.salt ?? randomBytes(16))
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty')
  const { storedKey, serverKey } = deriveScramKeys(scramPasswordBytes(password), salt, iterations)
  return { iterations, salt, storedKey, serverKey }
}

/** Formats a secret in the pg_authid text form that {@link parseScramSecret} reads. */
export function formatScramSecret(secret: ScramSecret): string {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
  return `${SCRAM_MECHANISM}$${secret.iterations}:${b64(secret.salt)}$${b64(secret.storedKey)}:${b64(secret.serverKey)}`
}
