/**
 * SASLprep (RFC 4013) of passwords, with PostgreSQL's exact semantics.
 *
 * A SCRAM client and the code that built the stored secret must prepare the password identically, or the
 * salted passwords differ and login fails. Postgres (pg_saslprep in src/common/saslprep.c, used by both the
 * server when hashing and libpq when logging in) behaves like this, and so do we:
 *
 * - a pure ASCII password is used unchanged (NFKC is the identity on ASCII; Postgres skips even the
 *   prohibited-character check there, so ASCII control characters are allowed);
 * - otherwise spaces of table C.1.2 become U+0020, characters of table B.1 are deleted, and the result is
 *   NFKC-normalized;
 * - if the input is not valid UTF-8, is empty after mapping, contains a prohibited or (Unicode 3.2)
 *   unassigned code point, or breaks the bidirectional rules, the password is "not valid for SASLprep"
 *   and Postgres uses the original bytes unchanged instead of failing. Like Postgres, these checks look at
 *   the mapped characters *before* normalization.
 *
 * Known difference: NFKC comes from Node's ICU, whose Unicode version may be newer than Postgres's own
 * normalization tables; that only matters for characters added to Unicode in between.
 */

import {
  inTable,
  L_CAT,
  MAPPED_TO_NOTHING,
  NON_ASCII_SPACE,
  PROHIBITED,
  RAND_AL_CAT,
  UNASSIGNED,
} from './saslprep-tables.js'

// Postgres's pg_is_ascii() test is "no byte with the high bit set"; in UTF-16 terms, no code unit >= 0x80.
const NON_ASCII = /[\u0080-\uffff]/

// fatal: malformed UTF-8 must be detected (Postgres then uses the raw bytes); ignoreBOM keeps a leading
// U+FEFF in the string so that it is mapped to nothing like any other.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Applies the table C.1.2 and B.1 mappings; returns undefined for lone surrogates (not valid UTF-8). */
function mapCodePoints(input: string): number[] | undefined {
  const mapped: number[] = []
  for (const char of input) {
    const code = char.codePointAt(0)!
    if (code >= 0xd800 && code <= 0xdfff) return undefined
    if (inTable(NON_ASCII_SPACE, code)) mapped.push(0x20)
    else if (!inTable(MAPPED_TO_NOTHING, code)) mapped.push(code)
  }
  return mapped
}

/** RFC 3454 section 6: with any R/AL character there may be no L character and both ends must be R/AL. */
function violatesBidiRules(codes: readonly number[]): boolean {
  if (!codes.some((code) => inTable(RAND_AL_CAT, code))) return false
  if (codes.some((code) => inTable(L_CAT, code))) return true
  return !inTable(RAND_AL_CAT, codes[0]!) || !inTable(RAND_AL_CAT, codes[codes.length - 1]!)
}

/**
 * SASLprep a password string as Postgres does.
 *
 * @returns the prepared string, or undefined when the password is not valid for SASLprep (Postgres then
 *   uses the password unchanged; see {@link scramPasswordBytes}).
 */
export function saslprep(input: string): string | undefined {
  if (!NON_ASCII.test(input)) return input
  const mapped = mapCodePoints(input)
  // An empty result would let a password of only soft hyphens match the empty password.
  if (mapped === undefined || mapped.length === 0) return undefined
  if (mapped.some((code) => inTable(PROHIBITED, code) || inTable(UNASSIGNED, code))) return undefined
  if (violatesBidiRules(mapped)) return undefined
  // No spread into fromCodePoint(): that would hit the argument limit on absurdly long inputs.
  return mapped
    .map((code) => String.fromCodePoint(code))
    .join('')
    .normalize('NFKC')
}

/**
 * The octets a SCRAM password contributes to Hi() (PBKDF2): SASLprep'd UTF-8 when possible, otherwise the
 * password as given, matching Postgres both when building secrets and in libpq.
 *
 * @param password a string (encoded as UTF-8), or raw bytes as received e.g. in a PasswordMessage; bytes
 *   that are not valid UTF-8 are used as they are.
 */
export function scramPasswordBytes(password: string | Uint8Array): Buffer {
  let text: string
  if (typeof password === 'string') text = password
  else {
    try {
      text = STRICT_UTF8.decode(password)
    } catch {
      return Buffer.from(password)
    }
  }
  return Buffer.from(saslprep(text) ?? text, 'utf8')
}
