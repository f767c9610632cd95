/**
 * One name in a `ColId` position, read strictly and exactly as Postgres stores it, for statements the
 * gateway answers itself (LISTEN, UNLISTEN): an unquoted word has A-Z folded to a-z and nothing else
 * (`downcase_identifier` leaves multibyte characters alone) and must not be a reserved or
 * type_func_name keyword; `"…"` keeps its case with `""` read as `"`; `U&"…"` (with an optional
 * `UESCAPE 'c'`) has its escapes decoded. The result is cut to NAMEDATALEN - 1 = 63 bytes on a
 * character boundary (`truncate_identifier`, which also raises NOTICE 42622; see {@link ColIdName}).
 *
 * Anything Postgres would refuse (an empty `""`, a malformed escape, bytes that are not UTF-8, a NUL)
 * reads as no name, so the caller leaves the statement to the server and its error. The text is taken
 * to be UTF-8: a client whose client_encoding is another must not be read with this.
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scansup.c
 *   (downcase_identifier, truncate_identifier)
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scan.l (xd, xui states)
 * @module
 */
import { Ch } from './char-class.js'
import { type SqlLexer, Token } from './lexer.js'
import { isNotColId } from './reserved-keywords.js'
import { DEFAULT_ESCAPE, decodeUnicodeEscapes, isUescapeChar } from './unicode-escapes.js'

/** NAMEDATALEN - 1: the longest name Postgres keeps, in bytes. */
export const MAX_IDENTIFIER_BYTES = 63

/** A name as Postgres stores it. */
export interface ColIdName {
  /** Folded, unescaped and truncated. */
  name: string
  /** The name before truncation: equal to `name` unless `truncated`. */
  full: string
  /** Longer than 63 bytes, so cut: Postgres sent NOTICE 42622 (see `truncationNotice`). */
  truncated: boolean
}

const utf8 = new TextDecoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const UESCAPE = new TextEncoder().encode('uescape')

/**
 * The name the Word or QuotedIdent token `t` (just read by `lx`) stands for, or undefined when it is
 * not a valid ColId. After a `U&"…"` the lexer is left past its UESCAPE clause, if it has one.
 */
export function readColId(lx: SqlLexer, t: Token): ColIdName | undefined {
  if (lx.unterminated) return undefined
  let bytes: Uint8Array | undefined
  if (t === Token.Word) bytes = wordBytes(lx.buf, lx.start, lx.pos)
  else if (t !== Token.QuotedIdent) return undefined
  else if (lx.buf[lx.start] === Ch.DoubleQuote) bytes = quotedBody(lx.buf, lx.start + 1, lx.pos - 1)
  else bytes = unicodeIdent(lx)
  return bytes === undefined ? undefined : truncate(bytes)
}

/** An unquoted word, A-Z folded; undefined for a reserved or type_func_name keyword. */
function wordBytes(buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
  // A copy even of a Node Buffer, whose own slice() is a view: folding must never touch the message.
  const bytes = Uint8Array.prototype.slice.call(buf, start, end)
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x41 && bytes[i]! <= 0x5a) bytes[i]! |= 0x20
  // Keywords are ASCII: only a word that decodes as one can be one.
  return isNotColId(utf8.decode(bytes)) ? undefined : bytes
}

/** The body of a quoted identifier with `""` read as `"`; undefined when empty (Postgres: 42601). */
function quotedBody(buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
  if (end <= start) return undefined
  const out = new Uint8Array(end - start)
  let n = 0
  for (let i = start; i < end; i++) {
    out[n++] = buf[i]!
    if (buf[i] === Ch.DoubleQuote) i++ // the second quote of `""`
  }
  return out.subarray(0, n)
}

/** `U&"…"` [UESCAPE 'c']: the decoded name, or undefined if Postgres would refuse it. */
function unicodeIdent(lx: SqlLexer): Uint8Array | undefined {
  const body = quotedBody(lx.buf, lx.start + 3, lx.pos - 1)
  if (body === undefined) return undefined
  const escapeChar = readUescape(lx)
  return escapeChar < 0 ? undefined : decodeUnicodeEscapes(body, escapeChar)
}

/**
 * The escape character a `UESCAPE 'c'` after the identifier names (the lexer is left after it), the
 * default `\` when there is no such clause (the lexer is left where it was), or -1 when it is malformed.
 */
function readUescape(lx: SqlLexer): number {
  const save = lx.pos
  let t = nextSignificant(lx)
  if (t !== Token.Word || !isWord(lx, UESCAPE)) {
    lx.pos = save
    return DEFAULT_ESCAPE
  }
  t = nextSignificant(lx)
  const c = t === Token.String && !lx.unterminated ? oneCharLiteral(lx.buf, lx.start, lx.pos) : -1
  return c >= 0 && isUescapeChar(c) ? c : -1
}

/**
 * The character of a string literal `buf[start, end)` written as `'c'`, `E'c'` or `$$c$$`, else -1.
 * Postgres takes any simple string constant there; the rarer spellings of one character (`E'\x21'`,
 * a literal continued on the next line) read as -1, and the statement is left to the server.
 */
function oneCharLiteral(buf: Uint8Array, start: number, end: number): number {
  const len = end - start
  if (len === 3 && buf[start] === Ch.Quote) return buf[start + 1]!
  if (len === 4 && (buf[start]! | 0x20) === 0x65 && buf[start + 2] !== Ch.Backslash) return buf[start + 2]!
  if (len === 5 && buf[start] === Ch.Dollar && buf[start + 1] === Ch.Dollar) return buf[start + 2]!
  return -1
}

/** The next token that is not a comment. */
export function nextSignificant(lx: SqlLexer): Token {
  let t = lx.next()
  while (t === Token.Comment && !lx.unterminated) t = lx.next()
  return t
}

/** True when the Word token just read is `lower` (ASCII, any case). */
function isWord(lx: SqlLexer, lower: Uint8Array): boolean {
  if (lx.pos - lx.start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) if ((lx.buf[lx.start + i]! | 0x20) !== lower[i]) return false
  return true
}

/** The stored name: valid UTF-8 without NUL, cut to 63 bytes without splitting a character. */
function truncate(bytes: Uint8Array): ColIdName | undefined {
  if (bytes.includes(0)) return undefined
  let full: string
  try {
    full = strictUtf8.decode(bytes)
  } catch {
    return undefined // Postgres refuses the whole query: 22021 invalid byte sequence
  }
  if (bytes.length <= MAX_IDENTIFIER_BYTES) return { name: full, full, truncated: false }
  let cut = MAX_IDENTIFIER_BYTES
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut-- // back to the start of a character
  return { name: utf8.decode(bytes.subarray(0, cut)), full, truncated: true }
}
