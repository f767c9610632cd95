/**
 * The escapes of a `U&"…"` identifier, decoded strictly, as Postgres's `str_udeescape` does: `\XXXX`
 * and `\+XXXXXX` code points (a UTF-16 surrogate pair written as two escapes is one character), the
 * escape character doubled for itself, and anything malformed refused (where `identifier.ts`, which
 * only names tables, keeps it as written). A `UESCAPE 'c'` clause picks another escape character.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS-UESCAPE
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/parser.c (str_udeescape,
 *   check_uescapechar)
 * @module
 */
import { CHAR_CLASS, Ch, HEX_DIGIT, SPACE } from './char-class.js'

/** The default escape character, `\`. */
export const DEFAULT_ESCAPE = Ch.Backslash

/**
 * True when the byte `c` may follow UESCAPE: one ASCII character that is not a hex digit, `+`, a
 * quote or whitespace (Postgres's `check_uescapechar`; a multibyte one is longer than one byte).
 */
export function isUescapeChar(c: number): boolean {
  if (c >= 0x80 || (CHAR_CLASS[c]! & (HEX_DIGIT | SPACE)) !== 0) return false
  return c !== Ch.Plus && c !== Ch.Quote && c !== Ch.DoubleQuote
}

/** The value of `digits` hex digits at `buf[at]`, or -1 if they are not all there. */
function hexAt(buf: Uint8Array, at: number, digits: number): number {
  if (at + digits > buf.length) return -1
  let value = 0
  for (let i = at; i < at + digits; i++) {
    const c = buf[i]!
    if ((CHAR_CLASS[c]! & HEX_DIGIT) === 0) return -1
    value = value * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57) // 0-9, then a-f / A-F
  }
  return value
}

/** Appends code point `cp` to `out` as UTF-8 (what a UTF8 server stores). */
function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp)
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f))
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
}

const isHighSurrogate = (cp: number): boolean => cp >= 0xd800 && cp <= 0xdbff
const isLowSurrogate = (cp: number): boolean => cp >= 0xdc00 && cp <= 0xdfff

/**
 * The bytes `body` (a `U&"…"` body with `""` already read as `"`) stands for, or undefined where
 * Postgres raises an error: an escape that is not 4 or `+`6 hex digits, code point 0 or above
 * U+10FFFF, or a surrogate not in a high-low pair.
 */
export function decodeUnicodeEscapes(body: Uint8Array, escapeChar: number): Uint8Array | undefined {
  const out: number[] = []
  let high = 0
  for (let i = 0; i < body.length; ) {
    const c = body[i]!
    if (c !== escapeChar || body[i + 1] === escapeChar) {
      if (high !== 0) return undefined // a high surrogate must be followed by a low one
      out.push(c)
      i += c === escapeChar ? 2 : 1
      continue
    }
    const long = body[i + 1] === Ch.Plus
    const digits = long ? 6 : 4
    const cp = hexAt(body, i + (long ? 2 : 1), digits)
    if (cp <= 0 || cp > 0x10ffff) return undefined
    i += (long ? 2 : 1) + digits
    if (high !== 0) {
      if (!isLowSurrogate(cp)) return undefined
      pushUtf8(out, 0x10000 + ((high - 0xd800) << 10) + (cp - 0xdc00))
      high = 0
    } else if (isHighSurrogate(cp)) high = cp
    else if (isLowSurrogate(cp)) return undefined
    else pushUtf8(out, cp)
  }
  return high === 0 ? Uint8Array.from(out) : undefined
}
