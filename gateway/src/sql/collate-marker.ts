/**
 * `COLLATE "C"` through pgsql-ast-parser, which has no COLLATE: before parsing, each `expr COLLATE
 * "C"` (or `"POSIX"`, the same collation, or `pg_catalog."C"`) becomes a call of a marker function,
 * `__skiff_collate_c(expr)`, which the planner reads as "this expression collates as C"; after
 * printing, each marker call is turned back into `(expr) COLLATE "C"`. Any other collation is refused:
 * the combiner can only compare text as C does (bytewise).
 *
 * The operand of COLLATE, which binds tighter than any operator, is found backwards from the keyword:
 * a column reference (`a`, `t.a`, `"T"."A"`), a literal, a parenthesized expression, or a function
 * call (`lower(a)`). Anything else (a cast `a::text COLLATE "C"`, an array subscript) is refused with
 * the advice to parenthesize.
 * @see https://www.postgresql.org/docs/current/collation.html#COLLATION-CONCEPTS
 * @module
 */
import { SqlLexer, Token } from './lexer.js'
import { isNotColId } from './reserved-keywords.js'

/** The marker function's name; a text that already holds it is refused. */
export const COLLATE_MARKER = '__skiff_collate_c'

interface Tok {
  type: Token
  start: number
  end: number
  byte: number
  text: string
}

function tokens(buf: Buffer): Tok[] {
  const lexer = new SqlLexer().reset(buf, 0, buf.length)
  const out: Tok[] = []
  for (let t = lexer.next(); t !== Token.End; t = lexer.next()) {
    if (t === Token.Comment) continue
    out.push({ type: t, start: lexer.start, end: lexer.pos, byte: lexer.byte, text: '' })
    out[out.length - 1]!.text = buf.toString('utf8', lexer.start, lexer.pos)
  }
  return out
}

const isName = (t: Tok | undefined) =>
  t !== undefined &&
  (t.type === Token.QuotedIdent || (t.type === Token.Word && !isNotColId(t.text.toLowerCase())))
const isPunct = (t: Tok | undefined, c: string) => t?.type === Token.Punct && t.byte === c.charCodeAt(0)

/** Index of the first token of the COLLATE operand ending at token `i`, or -1. */
function operandStart(toks: Tok[], i: number): number {
  let at = i
  if (isPunct(toks[at], ')')) {
    let depth = 0
    for (; at >= 0; at--) {
      if (isPunct(toks[at], ')')) depth++
      else if (isPunct(toks[at], '(') && --depth === 0) break
    }
    if (at < 0) return -1
    if (!isName(toks[at - 1])) return at
    at--
  } else if (toks[at]?.type === Token.String) return at
  else if (!isName(toks[at])) return -1
  while (isPunct(toks[at - 1], '.') && isName(toks[at - 2])) at -= 2
  return at
}

/** The collation name's last token index after COLLATE at `i`, if it is C; else undefined. */
function collationEnd(toks: Tok[], i: number): number | undefined {
  let at = i + 1
  if (toks[at]?.text.toLowerCase() === 'pg_catalog' && isPunct(toks[at + 1], '.')) at += 2
  const name = toks[at]
  return name?.text === '"C"' || name?.text === '"POSIX"' ? at : undefined
}

/** `sql` with each `expr COLLATE "C"` as a marker call, or a sentence saying why it cannot be. */
export function markCollations(sql: string): { text: string } | { refuse: string } {
  if (sql.includes(COLLATE_MARKER)) return { refuse: `the text holds the name ${COLLATE_MARKER}` }
  const buf = Buffer.from(sql)
  const toks = tokens(buf)
  const edits: Array<[at: number, remove: number, insert: string]> = []
  for (let i = 0; i < toks.length; i++) {
    if (toks[i]!.type !== Token.Word || toks[i]!.text.toLowerCase() !== 'collate') continue
    const last = collationEnd(toks, i)
    if (last === undefined) return { refuse: 'only COLLATE "C" can be merged across shards' }
    const first = operandStart(toks, i - 1)
    if (first < 0) return { refuse: 'put the expression before COLLATE in parentheses' }
    edits.push([toks[first]!.start, 0, `${COLLATE_MARKER}(`])
    edits.push([toks[i - 1]!.end, toks[last]!.end - toks[i - 1]!.end, ')'])
  }
  edits.sort((a, b) => b[0] - a[0])
  let out = buf
  for (const [at, remove, insert] of edits)
    out = Buffer.concat([out.subarray(0, at), Buffer.from(insert), out.subarray(at + remove)])
  return { text: out.toString('utf8') }
}

/** Printed SQL with each marker call `"__skiff_collate_c" (expr)` turned back into `(expr) COLLATE "C"`. */
export function restoreCollations(printed: string): string {
  let out = printed
  for (;;) {
    const at = out.search(/"?__skiff_collate_c"?\s*\(/)
    if (at < 0) return out
    const open = out.indexOf('(', at)
    const close = matchingParen(out, open)
    out = `${out.slice(0, at)}${out.slice(open, close + 1)} COLLATE "C"${out.slice(close + 1)}`
  }
}

/** Index of the `)` closing the `(` at `open`, skipping quoted literals and identifiers. */
function matchingParen(s: string, open: number): number {
  let depth = 0
  for (let i = open; i < s.length; i++) {
    const c = s[i]
    if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1)
      if (end < 0) break
      i = end // a doubled quote is two adjacent quoted runs: the scan stays in step
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i
  }
  throw new Error('unbalanced parentheses in printed SQL')
}
