/**
 * A statement's shape: what is left of its text when the values are taken out, hashed in one lexer
 * pass so that `select abalance from pgbench_accounts where aid = 123` and `SELECT abalance FROM
 * pgbench_accounts /* x *\/ WHERE aid = 456` get the same shape and a cache can remember what was
 * decided for it (shape-cache.ts).
 *
 * What is folded, so that it does not change the shape:
 * - whitespace and comments vanish (the first statement's leading comments are noted, by position);
 * - unquoted words are case-folded as Postgres folds them (A-Z only);
 * - each string literal (`'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`, `$$…$$`) becomes one string
 *   placeholder, and each number one number placeholder. The one-byte number `0` keeps its own
 *   placeholder, because the classifier reads it (`EXPLAIN (ANALYZE 0)` does not run the statement).
 *   A sign is not part of a literal, in Postgres's scanner as here: `a = -1` is `a = - ?`, another
 *   shape than `a = 1`, and `a -1` (a subtraction) cannot be told from `a - 1` without a parser.
 * What stays: every other token as written, so `$1` stays `$1`, quoted identifiers keep their case,
 * operators keep their bytes; a token's type starts its part of the stream, so `a bc` is not `ab c`
 * and `'1'` is not `1`. So the classifier, which reads only token types and words, decides the same for
 * every text of one shape, except for a SET's value and the leading comments' text, which a cache must
 * read again from the text (see shape-cache.ts).
 *
 * The hash is two independent 32-bit hashes of that stream (FNV-1a and a multiply-rotate hash), each
 * finished with the stream's length, its token count and whether a token ran unterminated. For each
 * literal, its `[start, end)` in the caller's buffer is kept in order, so a caller that learned once
 * that a shape's sharding key is its k-th literal reads only that literal of each later text.
 * Nothing is allocated per token: the offsets go into scratch arrays that grow only when too small.
 * @module
 */
import { Ch } from './char-class.js'
import { SqlLexer, Token } from './lexer.js'

/** Units that start each token's part of the hashed stream: above 255, so no byte can be one. */
const Mark = {
  // Tokens whose bytes follow their mark: below String (see `read`).
  Word: 0x100,
  QuotedIdent: 0x101,
  Param: 0x102,
  // Tokens that are their mark alone.
  String: 0x103,
  Number: 0x104,
  Zero: 0x105,
  /** A punctuation token is one unit: this bit plus its byte. */
  Punct: 0x200,
} as const

/** A-Z to a-z, every other byte to itself: Postgres's `downcase_identifier` on unquoted names. */
const FOLD = Uint8Array.from({ length: 256 }, (_, c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c))
/** Every byte to itself (quoted identifiers and parameters keep their bytes). */
const SAME = Uint8Array.from({ length: 256 }, (_, c) => c)

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const GOLDEN = 0x9e3779b1 | 0
/** 2^21: the Map key keeps 32 bits of `hash1` and the top 21 of `hash2`, 53 bits in all. */
const KEY_SCALE = 0x200000

/** The murmur3 finalizer: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Grows a scratch array of offsets to hold at least `need` entries. */
function grown(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a
  const b = new Int32Array(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

/**
 * The shape of one text and where its literals and leading comments are. One instance is reused for
 * any number of texts: `read` overwrites everything, so copy what must outlive the next call.
 */
export class StatementShape {
  /** The two hashes, each a uint32. */
  hash1 = 0
  hash2 = 0
  /** Units in the folded stream: about the length of the text with its values and spaces taken out. */
  length = 0
  /** Non-comment tokens. */
  tokens = 0
  /** A literal, quoted identifier or comment ran to the end of the text (part of the shape). */
  unterminated = false
  /** Folded literals, and `[start, end)` of the i-th at `literals[2i]`, `literals[2i + 1]`. */
  literalCount = 0
  literals = new Int32Array(32)
  /** Comments before the first statement's first token, `[start, end)` pairs like `literals`. */
  commentCount = 0
  comments = new Int32Array(8)
  /** While reading: the `;` read so far that are all the tokens read so far. */
  private semicolons = 0
  private readonly lexer = new SqlLexer()

  /**
   * Reads the UTF-8 SQL text `buf[start, end)` (a trailing NUL is ignored, as the classifier does).
   * @example new StatementShape().read(buf, 0, buf.length).literalCount // 1 for `select $1, 'a'`
   */
  read(buf: Uint8Array, start: number, end: number, standardConformingStrings = true): this {
    if (end > start && buf[end - 1] === 0) end--
    const lx = this.lexer.reset(buf, start, end, standardConformingStrings)
    this.literalCount = 0
    this.commentCount = 0
    this.semicolons = 0
    // The hashes live in locals while the bytes are read: fields cost a store per byte.
    let h1 = FNV_OFFSET
    let h2 = 0
    let length = 0
    let tokens = 0
    for (let t = lx.next(); t !== Token.End; t = lx.next()) {
      if (t === Token.Comment) {
        if (tokens === this.semicolons) this.comment(lx.start, lx.pos)
        continue
      }
      const mark = this.mark(t, lx, tokens++)
      h1 = Math.imul(h1 ^ mark, FNV_PRIME)
      h2 = Math.imul(((h2 << 5) | (h2 >>> 27)) ^ mark, GOLDEN)
      if (mark < Mark.String) {
        // A word, quoted identifier or parameter: its bytes too (a word's case-folded).
        const fold = t === Token.Word ? FOLD : SAME
        for (let i = lx.start; i < lx.pos; i++) {
          const c = fold[buf[i]!]!
          h1 = Math.imul(h1 ^ c, FNV_PRIME)
          h2 = Math.imul(((h2 << 5) | (h2 >>> 27)) ^ c, GOLDEN)
        }
        length += lx.pos - lx.start
      }
      length++
    }
    return this.finish(h1, h2, length, tokens, lx.unterminated)
  }

  /** `[start, end)` of the i-th literal in the buffer read last. */
  literalStart(i: number): number {
    return this.literals[2 * i]!
  }
  literalEnd(i: number): number {
    return this.literals[2 * i + 1]!
  }

  /** A number that names the shape, for a Map; equal shapes give equal keys (see {@link sameAs}). */
  get key(): number {
    return this.hash1 * KEY_SCALE + (this.hash2 >>> 11)
  }

  /** Whether `other` (a key's owner) is this shape: both whole hashes, length and token count. */
  sameAs(other: { hash2: number; length: number; tokens: number }): boolean {
    return other.hash2 === this.hash2 && other.length === this.length && other.tokens === this.tokens
  }

  /**
   * The unit that starts token `t` in the stream; notes a literal's place, and counts the `;` that
   * come before the first statement (comments up to there are that statement's leading comments).
   */
  private mark(t: Token, lx: SqlLexer, before: number): number {
    switch (t) {
      case Token.Word:
        return Mark.Word
      case Token.QuotedIdent:
        return Mark.QuotedIdent
      case Token.Param:
        return Mark.Param
      case Token.String:
        this.literal(lx.start, lx.pos)
        return Mark.String
      case Token.Number:
        this.literal(lx.start, lx.pos)
        return lx.pos - lx.start === 1 && lx.buf[lx.start] === 0x30 ? Mark.Zero : Mark.Number
      default:
        if (lx.byte === Ch.Semicolon && before === this.semicolons) this.semicolons++
        return Mark.Punct | lx.byte
    }
  }

  private literal(start: number, end: number): void {
    const i = 2 * this.literalCount++
    this.literals = grown(this.literals, i + 2)
    this.literals[i] = start
    this.literals[i + 1] = end
  }

  private comment(start: number, end: number): void {
    const i = 2 * this.commentCount++
    this.comments = grown(this.comments, i + 2)
    this.comments[i] = start
    this.comments[i + 1] = end
  }

  private finish(h1: number, h2: number, length: number, tokens: number, unterminated: boolean): this {
    const extra = tokens * 2 + (unterminated ? 1 : 0)
    this.hash1 = fmix32(h1 ^ length ^ Math.imul(extra, GOLDEN))
    this.hash2 = fmix32(h2 ^ Math.imul(length, FNV_PRIME) ^ extra)
    this.length = length
    this.tokens = tokens
    this.unterminated = unterminated
    return this
  }
}
