/**
 * Statements whose kind depends on what they wrap or which way they go:
 * - EXPLAIN only plans its statement, so it is a read, unless ANALYZE runs it: then it is whatever the
 *   statement is (a read stays a read; anything else, an EXECUTE included, needs the primary). ANALYZE
 *   comes as `EXPLAIN ANALYZE …` or as an option, `EXPLAIN (ANALYZE [true|on|1|false|off|0], …)`.
 * - COPY … FROM writes a table, COPY … TO reads one; `COPY (query) TO` is a read unless its query
 *   writes (`COPY (insert … returning …) TO stdout`).
 * @see https://www.postgresql.org/docs/current/sql-explain.html
 * @see https://www.postgresql.org/docs/current/sql-copy.html
 * @module
 */
import { Ch } from './char-class.js'
import { startStatement } from './first-word.js'
import { Kw } from './keywords.js'
import { type SqlLexer, Token } from './lexer.js'
import { type StatementState, Step } from './statement-state.js'

/** Step.ExplainHead: `(` of an option list, ANALYZE / VERBOSE, then the explained statement. */
export function onExplainHead(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  if (t === Token.Punct) {
    // Right after EXPLAIN a `(` opens options; later it is a parenthesized query: wait for its word.
    if (lx.byte === Ch.LParen && st.tokens === 2) st.step = Step.ExplainOptions
    return
  }
  if (t !== Token.Word) {
    st.step = Step.Done
    return
  }
  if (kw === Kw.analyze || kw === Kw.analyse) {
    st.analyze = true
  } else if (kw !== Kw.verbose) {
    st.explain = true
    startStatement(st, kw)
    if (!st.analyze) st.step = Step.Done // planned only: a read whatever it is
  }
}

/** Step.ExplainOptions: `ANALYZE` with an optional boolean, until the list's `)`. */
export function onExplainOptions(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  if (t === Token.Punct && lx.byte === Ch.RParen && st.depth === st.baseDepth) {
    st.pending = 0
    st.step = Step.ExplainHead
    return
  }
  if (st.pending === Kw.analyze && isFalse(t, kw, lx)) st.analyze = false
  st.pending = 0
  if (t === Token.Word && (kw === Kw.analyze || kw === Kw.analyse) && st.depth === st.baseDepth + 1) {
    st.analyze = true
    st.pending = Kw.analyze
  } else if (t === Token.Word && kw === Kw.select && st.tokens === 3) {
    // `EXPLAIN (SELECT …)`: no options after all, the parenthesis belongs to the query.
    st.explain = true
    startStatement(st, kw)
    st.step = Step.Done
  }
}

/** `false`, `off` or `0`: the forms of false an option takes (defGetBoolean); strings stay true. */
function isFalse(t: Token, kw: number, lx: SqlLexer): boolean {
  if (t === Token.Word) return kw === Kw.false || kw === Kw.off
  return t === Token.Number && lx.pos - lx.start === 1 && lx.buf[lx.start] === 0x30
}

/** Step.CopyHead: `COPY (` query, else FROM or TO outside the column list. */
export function onCopyHead(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  if (t === Token.Punct && lx.byte === Ch.LParen && st.tokens === 2) {
    st.kind = 'read'
    st.step = Step.Read
  } else if (t === Token.Word && st.depth === st.baseDepth && (kw === Kw.from || kw === Kw.to)) {
    st.kind = kw === Kw.from ? 'write' : 'read'
    st.step = Step.Done
  }
}
