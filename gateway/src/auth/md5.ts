/**
 * PostgreSQL MD5 password authentication (AuthenticationMD5Password), both directions.
 *
 * MD5 is obsolete and weak; it is here because older servers and pg_authid contents still use it. Strings
 * are hashed as UTF-8, which matches Postgres when client and server encoding are UTF-8.
 */

import { createHash, timingSafeEqual } from 'node:crypto'

// The pg_authid form: "md5" followed by 32 lowercase hex digits. Postgres uses the same test, so a plaintext
// password that happens to look like this is taken as a hash there too.
const STORED_MD5 = /^md5[0-9a-f]{32}$/

/** Hex MD5 of the concatenated parts. */
function md5Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('md5')
  for (const part of parts) hash.update(part)
  return hash.digest('hex')
}

/** Whether `text` is a stored MD5 password hash ("md5" + 32 hex digits). */
export function isMd5PasswordHash(text: string): boolean {
  return STORED_MD5.test(text)
}

/**
 * The hash Postgres stores in pg_authid for MD5: "md5" + md5hex(password + username). The user name acts as
 * the salt, so renaming a role invalidates it.
 */
export function md5PasswordHash(username: string, password: string): string {
  return `md5${md5Hex(password, username)}`
}

/**
 * The PasswordMessage a client sends in answer to AuthenticationMD5Password:
 * "md5" + md5hex(md5hex(password + username) + salt).
 *
 * @param passwordOrStoredHash the plaintext password, or a stored "md5…" hash (which is exactly the inner
 *   md5hex(password + username) with its prefix, so it can answer the challenge without the password).
 * @param salt the 4 random bytes of the server's challenge.
 * @throws RangeError if the salt is not 4 bytes (the protocol never sends another length).
 */
export function md5Response(username: string, passwordOrStoredHash: string, salt: Uint8Array): string {
  if (salt.length !== 4) throw new RangeError('MD5 authentication salt must be 4 bytes')
  const inner = isMd5PasswordHash(passwordOrStoredHash)
    ? passwordOrStoredHash.slice(3)
    : md5Hex(passwordOrStoredHash, username)
  return `md5${md5Hex(inner, salt)}`
}

/**
 * Checks a client's MD5 PasswordMessage against the password or stored hash, in constant time (for equal
 * lengths; the expected length is public anyway).
 *
 * @param response the PasswordMessage payload without its terminating NUL, as a string or bytes.
 */
export function verifyMd5Response(
  username: string,
  passwordOrStoredHash: string,
  salt: Uint8Array,
  response: string | Uint8Array,
): boolean {
  const expected = Buffer.from(md5Response(username, passwordOrStoredHash, salt), 'latin1')
  const actual = typeof response === 'string' ? Buffer.from(response, 'utf8') : Buffer.from(response)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
