/**
 * The scanner states of Postgres that hide semicolons: string literals, dollar quotes, quoted
 * identifiers and comments. Each function starts just after the opening delimiter and returns the
 * index just after the closing one, or -1 when the text ends first (Postgres would then raise
 * "unterminated …"; the caller classifies what it has).
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scan.l (states xq, xe, xb,
 *   xh, xus, xqs, xdolq, xd, xui, xc)
 * @module
 */
import { CHAR_CLASS, Ch, NEWLINE, SPACE } from './char-class.js'

/** How the body of a single-quoted literal is read. */
export const QuoteMode = {
  /** `'…'`, `N'…'`, `U&'…'` with standard_conforming_strings on: only `''` is special. */
  Standard: 0,
  /** `E'…'` (and plain `'…'` with standard_conforming_strings off): a backslash escapes the next byte. */
  Escape: 1,
  /** `B'…'`, `X'…'`: the first quote ends the body, there is no `''` (scan.l `xbinside [^']*`). */
  Bits: 2,
} as const
export type QuoteMode = (typeof QuoteMode)[keyof typeof QuoteMode]

/**
 * A single-quoted literal body. After its closing quote, whitespace holding a newline (and `--`
 * comments) followed by another quote continues the same literal in the same mode, so `E'a'` newline
 * `'\';'` is one literal whose `\'` is escaped (scan.l `quotecontinue`, state `xqs`).
 */
export function scanSingleQuoted(buf: Uint8Array, p: number, end: number, mode: QuoteMode): number {
  for (;;) {
    while (p < end) {
      const c = buf[p]!
      if (c === Ch.Quote) break
      // xeescape `[\\][^0-7]` and the octal, hex and Unicode escapes: no byte after the first can be a
      // quote, so skipping one byte after the backslash is enough to find the closing quote.
      p += c === Ch.Backslash && mode === QuoteMode.Escape ? 2 : 1
    }
    if (p >= end) return -1
    if (mode !== QuoteMode.Bits && p + 1 < end && buf[p + 1] === Ch.Quote) {
      p += 2 // xqdouble: the longer match wins over the closing quote
      continue
    }
    const next = quoteContinuation(buf, p + 1, end)
    if (next < 0) return p + 1
    p = next
  }
}

/**
 * Where a literal continues after its closing quote (just past the next opening quote), or -1.
 * scan.l: `{non_newline_whitespace}*{newline}{special_whitespace}*{quote}`; block comments do not count.
 */
function quoteContinuation(buf: Uint8Array, p: number, end: number): number {
  let newline = false
  while (p < end) {
    const cls = CHAR_CLASS[buf[p]!]!
    if (cls & SPACE) {
      if (cls & NEWLINE) newline = true
      p++
    } else if (buf[p] === Ch.Minus && p + 1 < end && buf[p + 1] === Ch.Minus) {
      p = scanLineComment(buf, p + 2, end)
    } else {
      break
    }
  }
  return newline && p < end && buf[p] === Ch.Quote ? p + 1 : -1
}

/**
 * A dollar-quoted body: it ends at the first copy of its own delimiter `buf[delim, delim + len)`
 * (`$tag$`, compared byte for byte, so case-sensitively). Every `$` inside is a candidate start, as in
 * scan.l, where a `$other$` that does not match puts its last `$` back for rescanning.
 */
export function scanDollarBody(buf: Uint8Array, p: number, end: number, delim: number, len: number): number {
  const last = end - len
  for (; p <= last; p++) {
    if (buf[p] !== Ch.Dollar) continue
    let i = 1
    while (i < len && buf[p + i] === buf[delim + i]) i++
    if (i === len) return p + len
  }
  return -1
}

/** A quoted identifier body (`"…"` or `U&"…"`), where `""` stands for one `"`. */
export function scanQuotedIdent(buf: Uint8Array, p: number, end: number): number {
  for (;;) {
    while (p < end && buf[p] !== Ch.DoubleQuote) p++
    if (p >= end) return -1
    if (p + 1 < end && buf[p + 1] === Ch.DoubleQuote) p += 2
    else return p + 1
  }
}

/**
 * A block comment body. Comments nest: each `/*` inside opens one more level and each `*\/` closes
 * one, so `/* a /* b *\/ c *\/` is one comment (scan.l state `xc`, `xcdepth`).
 */
export function scanBlockComment(buf: Uint8Array, p: number, end: number): number {
  let depth = 1
  while (p + 1 < end) {
    const c = buf[p]!
    if (c === Ch.Star && buf[p + 1] === Ch.Slash) {
      p += 2
      if (--depth === 0) return p
    } else if (c === Ch.Slash && buf[p + 1] === Ch.Star) {
      p += 2
      depth++
    } else {
      p++
    }
  }
  return -1
}

/** A `--` comment body: up to, not including, the next `\n` or `\r` (or the end of the text). */
export function scanLineComment(buf: Uint8Array, p: number, end: number): number {
  while (p < end && (CHAR_CLASS[buf[p]!]! & NEWLINE) === 0) p++
  return p
}
