/**
 * Names as Postgres reads them: unquoted identifiers fold ASCII letters to lower case (and only those:
 * `downcase_identifier` leaves multibyte characters alone), quoted ones are kept exactly with `""`
 * read as `"`, `U&"…"` has its `\XXXX` / `\+XXXXXX` escapes decoded, and qualified names are joined
 * with `.`. Used off the hot path only (tables, SET names), so these build strings freely.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scansup.c (downcase_identifier)
 * @module
 */
import { Ch } from './char-class.js'
import { type SqlLexer, Token } from './lexer.js'

const utf8 = new TextDecoder()

/** `buf[start, end)` as text (invalid UTF-8 becomes U+FFFD). */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end))
}

/** An unquoted identifier or keyword, A-Z folded to a-z. */
export function wordText(buf: Uint8Array, start: number, end: number): string {
  let i = start
  while (i < end && !(buf[i]! >= 0x41 && buf[i]! <= 0x5a)) i++
  if (i === end) return decodeUtf8(buf, start, end)
  // A copy even of a Node Buffer, whose own slice() is a view: folding must never touch the message.
  const copy = Uint8Array.prototype.slice.call(buf, start, end)
  for (let j = i - start; j < copy.length; j++) if (copy[j]! >= 0x41 && copy[j]! <= 0x5a) copy[j]! |= 0x20
  return utf8.decode(copy)
}

/** A `"…"` or `U&"…"` token's name (an unterminated one: what there is of it). */
export function quotedText(buf: Uint8Array, start: number, end: number): string {
  const unicode = buf[start] !== Ch.DoubleQuote
  const bodyStart = start + (unicode ? 3 : 1)
  const closed = end - bodyStart >= 1 && buf[end - 1] === Ch.DoubleQuote
  const body = decodeUtf8(buf, bodyStart, closed ? end - 1 : end).replaceAll('""', '"')
  return unicode ? decodeUnicodeEscapes(body) : body
}

/**
 * `\XXXX` and `\+XXXXXX` code points and `\\` (the default escape character; a `UESCAPE` clause is
 * not read). An escape that is not well formed is kept as written, where Postgres would refuse it.
 */
function decodeUnicodeEscapes(text: string): string {
  return text.replace(/\\(\\|\+[0-9A-Fa-f]{6}|[0-9A-Fa-f]{4})/g, (_, esc: string) => {
    if (esc === '\\') return '\\'
    const code = Number.parseInt(esc.startsWith('+') ? esc.slice(1) : esc, 16)
    return code <= 0x10ffff ? String.fromCodePoint(code) : `\\${esc}`
  })
}

/** The name of a Word or QuotedIdent token the lexer just returned. */
export function namePart(lx: SqlLexer, t: Token): string {
  return t === Token.Word ? wordText(lx.buf, lx.start, lx.pos) : quotedText(lx.buf, lx.start, lx.pos)
}

/**
 * A possibly qualified name starting with the Word or QuotedIdent token `t` just read: `a`, `s.a`,
 * `"S"."A"`. Stops before the first token that does not continue it (the lexer is rewound there).
 */
export function readQualifiedName(lx: SqlLexer, t: Token): string {
  let name = namePart(lx, t)
  for (;;) {
    const save = lx.pos
    if (lx.next() !== Token.Punct || lx.byte !== Ch.Dot) {
      lx.pos = save
      return name
    }
    const part = lx.next()
    if (part !== Token.Word && part !== Token.QuotedIdent) {
      lx.pos = save
      return name
    }
    name += `.${namePart(lx, part)}`
  }
}
