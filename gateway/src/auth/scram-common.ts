/**
 * Primitives shared by the SCRAM-SHA-256 client, server and secret code (RFC 5802, RFC 7677).
 *
 * Everything here is synchronous and pure: byte strings in, byte strings out.
 */

import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { randomBase64Pooled } from '../util/random-pool.js'

/** The only SASL mechanism implemented; SCRAM-SHA-256-PLUS (channel binding) is not offered. */
export const SCRAM_MECHANISM = 'SCRAM-SHA-256'

/** Length of SHA-256 output, hence of StoredKey, ServerKey, ClientProof and signatures. */
export const SCRAM_KEY_LENGTH = 32

/** Postgres's largest iteration count: the value is an int4 in pg_authid. */
export const SCRAM_MAX_ITERATIONS = 2 ** 31 - 1

/**
 * A peer sent a malformed or unacceptable SCRAM message, or a message arrived in the wrong state. The
 * message describes the problem for logs; it quotes at most a short excerpt of the peer's own message and
 * never key material.
 */
export class ScramProtocolError extends Error {
  override readonly name = 'ScramProtocolError'
  /** Postgres's errdetail for the same failure, when it gives one: what exactly was wrong. */
  readonly detail?: string
  /**
   * The peer asked for something valid that is not implemented (an authzid, a mandatory extension):
   * Postgres answers 0A000 feature_not_supported there, rather than 08P01 protocol_violation.
   */
  readonly unsupported: boolean

  constructor(message: string, options: { detail?: string; unsupported?: boolean } = {}) {
    super(message)
    this.detail = options.detail
    this.unsupported = options.unsupported ?? false
  }
}

/** A {@link ScramProtocolError} for a syntactically bad message; `what` names the message. */
export function malformed(what: string, detail: string): ScramProtocolError {
  return new ScramProtocolError(`malformed ${what}: ${detail}`)
}

/** HMAC-SHA-256. */
export function hmac(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** SHA-256, the H() of the RFCs. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

/** Byte-wise XOR of two equally long buffers. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Constant-time equality that, unlike timingSafeEqual, tolerates different lengths (returning false). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The keys derived from a password: ClientKey (client only), StoredKey and ServerKey. */
export interface ScramKeys {
  clientKey: Buffer
  storedKey: Buffer
  serverKey: Buffer
}

/**
 * SaltedPassword = Hi(password, salt, i), which is PBKDF2-HMAC-SHA-256 with one output block, then the
 * RFC 5802 section 3 keys. `password` must already be SASLprep'd (see scramPasswordBytes).
 */
export function deriveScramKeys(password: Uint8Array, salt: Uint8Array, iterations: number): ScramKeys {
  const salted = pbkdf2Sync(password, salt, iterations, SCRAM_KEY_LENGTH, 'sha256')
  const clientKey = hmac(salted, 'Client Key')
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') }
}

// Canonical padded base64 only: Buffer.from(s, 'base64') silently skips junk, which would let two
// different texts decode to the same key or hide a corrupted secret.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Decodes strict base64, or returns undefined if `text` is not exactly that. */
export function decodeBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined
}

/** Value of each base64 character; -1 for anything else. */
const BASE64_VALUE = (() => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
})()

/**
 * Decodes base64 exactly as Postgres's server decodes a client's SCRAM proof, so that Skiff accepts and
 * refuses the same texts: groups of four characters, "=" only as a group's third or fourth character,
 * no whitespace, at most floor(3n/4) bytes out. Like Postgres, once "=" has been seen every later group
 * yields only as many bytes as that first padded group did. Returns undefined where Postgres fails.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/common/base64.c pg_b64_decode
 */
export function decodeBase64AsPostgres(text: string): Buffer | undefined {
  const out = Buffer.alloc((text.length * 3) >> 2)
  let length = 0
  let group = 0
  let pos = 0
  let padded = 0 // 0: no "=" yet; 1 or 2: the group with the first "=" kept that many bytes
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    let value = 0
    if (c === 0x3d) {
      if (padded === 0) {
        if (pos < 2) return undefined
        padded = pos - 1
      }
    } else {
      value = c < 128 ? BASE64_VALUE[c]! : -1
      if (value < 0) return undefined
    }
    group = (group << 6) | value
    if (++pos < 4) continue
    const bytes = padded === 0 ? 3 : padded
    if (length + bytes > out.length) return undefined
    for (let b = 0; b < bytes; b++) out[length++] = (group >> (16 - 8 * b)) & 0xff
    group = 0
    pos = 0
  }
  return pos === 0 ? out.subarray(0, length) : undefined
}

/** RFC 5802 `printable`: visible ASCII except ",", the alphabet of nonces. */
export function isPrintable(text: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(text)
}

/**
 * A fresh nonce: 18 random bytes in base64, as Postgres generates (SCRAM_RAW_NONCE_LEN). The bytes come
 * from the process's pre-filled CSPRNG block: a `randomBytes` call per login cost more than the rest of
 * the first SCRAM step.
 */
export function randomNonce(): string {
  return randomBase64Pooled(18)
}

/** One `name=value` attribute of a SCRAM message. */
export interface ScramAttribute {
  name: string
  value: string
}

/**
 * Splits a SCRAM message (or a part of one) into its attributes, checking the `x=value` shape that every
 * attribute has. Values cannot contain "," by the grammar (saslname escapes it), so splitting is exact.
 */
export function parseAttributes(text: string, what: string): ScramAttribute[] {
  return text.split(',').map((item) => {
    if (!/^[A-Za-z]=/.test(item)) throw malformed(what, `expected attribute, got "${clip(item)}"`)
    return { name: item[0]!, value: item.slice(2) }
  })
}

/** Returns the value of attribute `index`, which must be named `name`. */
export function attribute(
  attrs: readonly ScramAttribute[],
  index: number,
  name: string,
  what: string,
): string {
  const attr = attrs[index]
  if (attr?.name !== name) throw malformed(what, `expected attribute "${name}"`)
  return attr.value
}

/** Shortens peer-supplied text quoted in error messages so that a huge message cannot bloat logs. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
