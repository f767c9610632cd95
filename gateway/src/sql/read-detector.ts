/**
 * Step.Read: a SELECT, WITH, VALUES, TABLE or COPY (query) is a read until one of its tokens shows it
 * needs the primary:
 * - `FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE`, `FOR KEY SHARE` at any depth: row locks, which a
 *   hot standby refuses and which only mean something on the primary;
 * - `INTO` at the statement's own depth: `SELECT … INTO t` creates a table;
 * - `INSERT`, `UPDATE`, `DELETE`, `MERGE` right after `(` or `)`: a data-modifying WITH query
 *   (`AS (delete …)`), the main statement after a WITH list (`…) insert into`), or `COPY (insert …)`;
 * - a call of a function that writes or must share the primary's state (`nextval(`, `setval(`,
 *   `pg_advisory_lock(`, …; see `isPrimaryFunction`), its name quoted or not (`"nextval"(`; the shape
 *   cache's second opinion, pgsql-ast-parser, found the quoted form missing).
 * Each test looks at one token and at most one before it, so this never backtracks. A column that
 * happens to be named `update` right after `(` makes it a write: wrong only towards the primary.
 * @see https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE
 * @see https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING
 * @module
 */
import { Ch } from './char-class.js'
import { isPrimaryFunction, Kw, lookupQuotedKeyword } from './keywords.js'
import { type SqlLexer, Token } from './lexer.js'
import type { StatementState } from './statement-state.js'

/** Step.Read handler. */
export function onRead(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  const pending = st.pending
  st.pending = 0
  if (t === Token.Word) {
    if (pending === Kw.for && isLockStrength(kw)) return st.write()
    if (kw === Kw.into && st.depth === st.baseDepth) return st.write()
    if (st.prevParen && isDataModifying(kw)) return st.write()
    if (kw === Kw.for || isPrimaryFunction(kw)) st.pending = kw
  } else if (t === Token.Punct && lx.byte === Ch.LParen && isPrimaryFunction(pending)) {
    st.write()
  } else if (t === Token.QuotedIdent) {
    const quoted = lookupQuotedKeyword(lx.buf, lx.start, lx.pos)
    if (isPrimaryFunction(quoted)) st.pending = quoted
  }
}

/** The word after FOR in a locking clause (`NO KEY UPDATE`, `KEY SHARE` start with NO and KEY). */
function isLockStrength(kw: number): boolean {
  return kw === Kw.update || kw === Kw.share || kw === Kw.no || kw === Kw.key
}

function isDataModifying(kw: number): boolean {
  return kw === Kw.insert || kw === Kw.update || kw === Kw.delete || kw === Kw.merge
}
