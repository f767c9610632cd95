/**
 * The state of the statement being classified, shared by the handlers that read its tokens. One
 * instance is reset for each statement, so classifying allocates nothing per statement.
 * @module
 */
import type { StatementKind } from './statement-info.js'

/** Which handler reads the statement's next token. */
export const Step = {
  /** Waiting for the first word (leading `(` are skipped: `(select 1)`). */
  First: 0,
  /** The kind is final: the rest is only scanned for the end of the statement. */
  Done: 1,
  /** SELECT, WITH, VALUES, TABLE, COPY (query): looking for what would make it a write. */
  Read: 2,
  /** BEGIN, START TRANSACTION, SET TRANSACTION: READ ONLY / READ WRITE. */
  TxModes: 3,
  /** COMMIT, END, ROLLBACK, ABORT: AND [NO] CHAIN, TO (a savepoint), PREPARED (two-phase). */
  EndTx: 4,
  /** PREPARE: PREPARE TRANSACTION 'gid' ends the transaction, PREPARE name AS … does not. */
  Prepare: 5,
  /** SET [LOCAL | SESSION]: is it SET TRANSACTION? */
  SetHead: 6,
  /** EXPLAIN [ANALYZE] [VERBOSE], before the explained statement. */
  ExplainHead: 7,
  /** Inside EXPLAIN ( … ): ANALYZE [true | false]. */
  ExplainOptions: 8,
  /** COPY: FROM (write) or TO (read) at the top level, or a ( query ). */
  CopyHead: 9,
  /** CREATE [OR REPLACE]: FUNCTION or PROCEDURE bodies may hold `;` inside BEGIN ATOMIC … END. */
  CreateHead: 10,
} as const
export type Step = (typeof Step)[keyof typeof Step]

/** Everything known about the current statement. */
export class StatementState {
  step: Step = Step.First
  kind: StatementKind = 'empty'
  /** Non-comment tokens seen, this one included. */
  tokens = 0
  /** Where its first token starts and its last token ends. */
  start = 0
  end = 0
  /** Keyword id of the first word (0 if none or not a keyword), and where that word is. */
  firstKw = 0
  firstWordStart = -1
  firstWordEnd = -1
  /** Parenthesis depth now, and at the first word (so `(select … into t)` still sees its INTO). */
  depth = 0
  baseDepth = 0
  /** The previous token was `(` or `)`: a statement may start here (WITH bodies, after the WITH list). */
  prevParen = false
  /** A keyword waiting for the next token to mean something (FOR, READ, AND, a function name, …). */
  pending = 0
  readOnly: boolean | undefined = undefined
  /** ISOLATION LEVEL SERIALIZABLE was named: a hot standby refuses it, so readOnly stays false. */
  serializable = false
  chain = false
  /** EXPLAIN: the kind is the explained statement's, and it only runs with ANALYZE. */
  explain = false
  analyze = false
  /** CREATE FUNCTION / PROCEDURE, and how deep inside BEGIN ATOMIC (and CASE) … END it is. */
  routine = false
  atomicDepth = 0

  /** Forgets the previous statement. */
  reset(): void {
    this.step = Step.First
    this.kind = 'empty'
    this.tokens = 0
    this.start = 0
    this.end = 0
    this.firstKw = 0
    this.firstWordStart = -1
    this.firstWordEnd = -1
    this.depth = 0
    this.baseDepth = 0
    this.prevParen = false
    this.pending = 0
    this.readOnly = undefined
    this.serializable = false
    this.chain = false
    this.explain = false
    this.analyze = false
    this.routine = false
    this.atomicDepth = 0
  }

  /** The kind once the statement is over: EXPLAIN is a read unless ANALYZE runs something else. */
  finalKind(): StatementKind {
    if (!this.explain) return this.kind
    return this.analyze && this.kind !== 'read' ? 'write' : 'read'
  }

  /** Marks the statement a write; nothing later in it can change that. */
  write(): void {
    this.kind = 'write'
    this.step = Step.Done
  }
}
