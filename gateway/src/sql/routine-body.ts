/**
 * SQL-standard routine bodies: `CREATE FUNCTION … BEGIN ATOMIC select 1; select 2; END` is one
 * statement whose `;` must not split it, or its `END` would read as a COMMIT. Postgres's grammar knows
 * this; a scanner has to count, as psql does: inside CREATE [OR REPLACE] FUNCTION / PROCEDURE, at
 * parenthesis depth 0, BEGIN opens a block, CASE opens one only inside a block (it also ends with END),
 * and END closes one; a `;` splits only outside any block.
 * @see https://www.postgresql.org/docs/current/sql-createfunction.html (sql_body)
 * @see https://github.com/postgres/postgres/blob/master/src/fe_utils/psqlscan.l (begin_depth)
 * @module
 */
import { Kw } from './keywords.js'
import { Token } from './lexer.js'
import { type StatementState, Step } from './statement-state.js'

/** Step.CreateHead: OR REPLACE, then FUNCTION or PROCEDURE marks a routine. */
export function onCreateHead(st: StatementState, t: Token, kw: number): void {
  if (t === Token.Word && (kw === Kw.or || kw === Kw.replace)) return
  if (t === Token.Word && (kw === Kw.function || kw === Kw.procedure)) st.routine = true
  st.step = Step.Done
}

/** Counts BEGIN / CASE / END blocks; call for each word of a routine at parenthesis depth 0. */
export function trackRoutineBlocks(st: StatementState, kw: number): void {
  if (kw === Kw.begin) st.atomicDepth++
  else if (kw === Kw.case && st.atomicDepth > 0) st.atomicDepth++
  else if (kw === Kw.end && st.atomicDepth > 0) st.atomicDepth--
}
