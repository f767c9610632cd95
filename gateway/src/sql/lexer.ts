/**
 * A tokenizer over UTF-8 SQL bytes that splits text exactly where Postgres's scanner does, without
 * building strings: each token is a type plus `[start, pos)` in the caller's buffer. It keeps only
 * what routing needs (operators come out one byte at a time, numbers are not checked), but every
 * construct that can hide a `;` (literals, dollar quotes, quoted identifiers, comments) follows scan.l.
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scan.l
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html
 * @module
 */
import { CHAR_CLASS, Ch, DIGIT, HEX_DIGIT, IDENT_CONT, IDENT_START, SPACE, TAG_CONT } from './char-class.js'
import {
  QuoteMode,
  scanBlockComment,
  scanDollarBody,
  scanLineComment,
  scanQuotedIdent,
  scanSingleQuoted,
} from './quoted.js'

/** Token types. */
export const Token = {
  End: 0,
  /** A keyword or an unquoted identifier: `[A-Za-z\200-\377_][A-Za-z\200-\377_0-9$]*`. */
  Word: 1,
  /** `"…"` or `U&"…"`. */
  QuotedIdent: 2,
  /** Any literal in quotes: `'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`, `$tag$…$tag$`. */
  String: 3,
  Number: 4,
  /** `$1`, `$2`, … */
  Param: 5,
  /** One byte of punctuation or of an operator (`;`, `(`, `)`, `,`, `.`, `=`, …), in `byte`. */
  Punct: 6,
  /** `-- …` or `/* … *\/`. */
  Comment: 7,
} as const
export type Token = (typeof Token)[keyof typeof Token]

/** Reads tokens from `buf[pos, end)`; one instance can be reset and reused for any number of texts. */
export class SqlLexer {
  buf: Uint8Array = new Uint8Array(0)
  /** Where the next token is read from; after `next()`, the end of the token it returned. */
  pos = 0
  end = 0
  /** Start of the token `next()` returned. */
  start = 0
  /** The byte of a `Punct` token. */
  byte = 0
  /** A literal, quoted identifier or comment ran to the end of the text without closing. */
  unterminated = false
  /** standard_conforming_strings: when off, a backslash escapes in plain `'…'` literals too. */
  standardStrings = true

  /** Starts reading `buf[start, end)`. */
  reset(buf: Uint8Array, start: number, end: number, standardStrings = true): this {
    this.buf = buf
    this.pos = start
    this.start = start
    this.end = end
    this.byte = 0
    this.unterminated = false
    this.standardStrings = standardStrings
    return this
  }

  /** Reads the next token and returns its type; `Token.End` at the end of the text or at a NUL. */
  next(): Token {
    const { buf, end } = this
    let p = this.pos
    while (p < end && (CHAR_CLASS[buf[p]!]! & SPACE) !== 0) p++
    this.start = p
    if (p >= end) {
      this.pos = end
      return Token.End
    }
    const c = buf[p]!
    if ((CHAR_CLASS[c]! & IDENT_START) !== 0) return this.word(c, p)
    if ((CHAR_CLASS[c]! & DIGIT) !== 0) return this.number(p)
    switch (c) {
      case Ch.Quote:
        return this.literal(p + 1, this.standardStrings ? QuoteMode.Standard : QuoteMode.Escape)
      case Ch.DoubleQuote:
        return this.closeAt(scanQuotedIdent(buf, p + 1, end), Token.QuotedIdent)
      case Ch.Dollar:
        return this.dollar(p)
      case Ch.Minus:
        if (p + 1 < end && buf[p + 1] === Ch.Minus)
          return this.closeAt(scanLineComment(buf, p + 2, end), Token.Comment)
        break
      case Ch.Slash:
        if (p + 1 < end && buf[p + 1] === Ch.Star)
          return this.closeAt(scanBlockComment(buf, p + 2, end), Token.Comment)
        break
      case Ch.Dot:
        if (p + 1 < end && (CHAR_CLASS[buf[p + 1]!]! & DIGIT) !== 0) return this.number(p)
        break
      case Ch.Nul:
        // The protocol's strings end at a NUL, and so does Postgres's copy of the text.
        this.pos = end
        return Token.End
    }
    this.byte = c
    this.pos = p + 1
    return Token.Punct
  }

  /** An identifier or keyword, unless it is the one-letter prefix of a literal (`E'`, `U&"`, …). */
  private word(c: number, p: number): Token {
    const { buf, end } = this
    const next = p + 1 < end ? buf[p + 1]! : -1
    if (next === Ch.Quote) {
      const lower = c | 0x20
      if (lower === 0x65) return this.literal(p + 2, QuoteMode.Escape) // E'
      if (lower === 0x62 || lower === 0x78) return this.literal(p + 2, QuoteMode.Bits) // B' X'
      // N'…' is NCHAR followed by an ordinary literal (scan.l `xnstart` puts the quote back).
      if (lower === 0x6e)
        return this.literal(p + 2, this.standardStrings ? QuoteMode.Standard : QuoteMode.Escape)
    } else if (next === Ch.Ampersand && (c | 0x20) === 0x75 && p + 2 < end) {
      // U&'…' is read as a standard literal; its escapes are decoded after scanning.
      if (buf[p + 2] === Ch.Quote) return this.literal(p + 3, QuoteMode.Standard)
      if (buf[p + 2] === Ch.DoubleQuote)
        return this.closeAt(scanQuotedIdent(buf, p + 3, end), Token.QuotedIdent)
    }
    p++
    while (p < end && (CHAR_CLASS[buf[p]!]! & IDENT_CONT) !== 0) p++
    this.pos = p
    return Token.Word
  }

  private literal(bodyStart: number, mode: QuoteMode): Token {
    return this.closeAt(scanSingleQuoted(this.buf, bodyStart, this.end, mode), Token.String)
  }

  /**
   * `$1` is a parameter; `$$` or `$tag$` (a tag cannot start with a digit) opens a dollar quote; any
   * other `$` is a lone character, as scan.l's `dolqfailed` returns it, and what follows is rescanned.
   */
  private dollar(p: number): Token {
    const { buf, end } = this
    let q = p + 1
    if (q < end && (CHAR_CLASS[buf[q]!]! & DIGIT) !== 0) {
      while (q < end && (CHAR_CLASS[buf[q]!]! & DIGIT) !== 0) q++
      this.pos = q
      return Token.Param
    }
    if (q < end && (CHAR_CLASS[buf[q]!]! & IDENT_START) !== 0) {
      while (q < end && (CHAR_CLASS[buf[q]!]! & TAG_CONT) !== 0) q++
    }
    if (q < end && buf[q] === Ch.Dollar) {
      const len = q + 1 - p
      return this.closeAt(scanDollarBody(buf, q + 1, end, p, len), Token.String)
    }
    this.byte = Ch.Dollar
    this.pos = p + 1
    return Token.Punct
  }

  /**
   * A number, loosely: digits, `_`, `.`, an exponent, `0x`/`0o`/`0b` digits. A number never hides a
   * `;` or a quote, so being loose here cannot move a statement boundary.
   */
  private number(p: number): Token {
    const { buf, end } = this
    const radix = buf[p] === 0x30 && p + 1 < end ? buf[p + 1]! | 0x20 : 0
    if (radix === 0x78 || radix === 0x6f || radix === 0x62) {
      p += 2 // 0x 0o 0b
      while (p < end && ((CHAR_CLASS[buf[p]!]! & HEX_DIGIT) !== 0 || buf[p] === 0x5f)) p++
    } else {
      while (p < end && ((CHAR_CLASS[buf[p]!]! & DIGIT) !== 0 || buf[p] === 0x5f || buf[p] === Ch.Dot)) p++
      if (p < end && (buf[p]! | 0x20) === 0x65) p = this.exponent(p)
    }
    this.pos = p
    return Token.Number
  }

  private exponent(p: number): number {
    const { buf, end } = this
    let q = p + 1
    if (q < end && (buf[q] === Ch.Plus || buf[q] === Ch.Minus)) q++
    if (q >= end || (CHAR_CLASS[buf[q]!]! & DIGIT) === 0) return p // not an exponent: `e` is rescanned
    while (q < end && (CHAR_CLASS[buf[q]!]! & DIGIT) !== 0) q++
    return q
  }

  private closeAt(after: number, type: Token): Token {
    if (after < 0) {
      this.unterminated = true
      this.pos = this.end
    } else {
      this.pos = after
    }
    return type
  }
}
