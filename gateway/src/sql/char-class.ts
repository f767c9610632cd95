/**
 * Byte classes of Postgres's SQL scanner, as one lookup table so the lexer tests a byte with one load
 * and one mask instead of a chain of comparisons.
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scan.l (the definitions
 *   `space`, `newline`, `ident_start`, `ident_cont`, `dolq_start`, `dolq_cont`)
 * @module
 */

/** `[ \t\n\r\f\v]`: whitespace between tokens. */
export const SPACE = 1
/** `[\n\r]`: ends a `--` comment; needed between two string literals that continue each other. */
export const NEWLINE = 2
/** `[A-Za-z\200-\377_]`: starts an identifier or a dollar-quote tag. */
export const IDENT_START = 4
/** `[A-Za-z\200-\377_0-9]`: continues a dollar-quote tag (an identifier also allows `$`). */
export const TAG_CONT = 8
/** `[0-9]`. */
export const DIGIT = 16
/** `[0-9A-Fa-f]`: digits of `0x` integers. */
export const HEX_DIGIT = 32
/** `[A-Za-z\200-\377_0-9$]`: continues an identifier (scan.l `ident_cont`). */
export const IDENT_CONT = 64

function build(): Uint8Array {
  const t = new Uint8Array(256)
  const mark = (from: number, to: number, bits: number): void => {
    for (let c = from; c <= to; c++) t[c]! |= bits
  }
  for (const c of [0x20, 0x09, 0x0a, 0x0d, 0x0c, 0x0b]) t[c]! |= SPACE
  t[0x0a]! |= NEWLINE
  t[0x0d]! |= NEWLINE
  mark(0x41, 0x5a, IDENT_START | TAG_CONT) // A-Z
  mark(0x61, 0x7a, IDENT_START | TAG_CONT) // a-z
  mark(0x80, 0xff, IDENT_START | TAG_CONT) // any byte of a multibyte UTF-8 character
  t[0x5f]! |= IDENT_START | TAG_CONT // _
  mark(0x30, 0x39, TAG_CONT | DIGIT | HEX_DIGIT)
  mark(0x41, 0x46, HEX_DIGIT)
  mark(0x61, 0x66, HEX_DIGIT)
  for (let c = 0; c < 256; c++) if (t[c]! & TAG_CONT) t[c]! |= IDENT_CONT
  t[0x24]! |= IDENT_CONT // $
  return t
}

/** Class bits of each byte value. */
export const CHAR_CLASS: Uint8Array = build()

/** ASCII codes the scanner and the classifier compare against. */
export const Ch = {
  Nul: 0x00,
  Dollar: 0x24, // $
  Ampersand: 0x26, // &
  Quote: 0x27, // '
  DoubleQuote: 0x22, // "
  LParen: 0x28, // (
  RParen: 0x29, // )
  Star: 0x2a, // *
  Plus: 0x2b, // +
  Comma: 0x2c, // ,
  Minus: 0x2d, // -
  Dot: 0x2e, // .
  Slash: 0x2f, // /
  Semicolon: 0x3b, // ;
  Equals: 0x3d, // =
  Backslash: 0x5c, // \
} as const
