/**
 * The words after a transaction-control keyword that change what the statement does:
 * - BEGIN / START TRANSACTION / SET TRANSACTION: `READ ONLY` or `READ WRITE` anywhere in the mode list
 *   (the last one wins, as Postgres applies the modes in order; `READ COMMITTED` is an isolation level);
 *   `SERIALIZABLE` makes it READ WRITE for the router whatever else it says, since a hot standby
 *   refuses serializable transactions ("cannot use serializable mode in a hot standby");
 * - COMMIT / END / ROLLBACK / ABORT: `AND CHAIN` (`AND NO CHAIN` is the default); `ROLLBACK … TO`
 *   is a savepoint rollback; `COMMIT PREPARED` / `ROLLBACK PREPARED` finish a two-phase transaction
 *   prepared earlier, from outside any transaction block: writes, not transaction control;
 * - PREPARE TRANSACTION 'gid' ends the session's transaction like a COMMIT (the transaction lives on,
 *   prepared, on that server); `PREPARE name AS …` is a SQL prepared statement (`other`).
 * @see https://www.postgresql.org/docs/current/sql-start-transaction.html
 * @see https://www.postgresql.org/docs/current/sql-commit.html
 * @see https://www.postgresql.org/docs/current/sql-prepare-transaction.html
 * @module
 */
import { Kw } from './keywords.js'
import { Token } from './lexer.js'
import { type StatementState, Step } from './statement-state.js'

/** Step.TxModes: READ ONLY / READ WRITE, SERIALIZABLE. */
export function onTxModes(st: StatementState, t: Token, kw: number): void {
  if (t !== Token.Word) {
    st.pending = 0
    return
  }
  if (kw === Kw.serializable) st.serializable = true
  if (st.serializable) st.readOnly = false
  else if (st.pending === Kw.read) {
    if (kw === Kw.only) st.readOnly = true
    else if (kw === Kw.write) st.readOnly = false
  }
  st.pending = kw === Kw.read ? kw : 0
}

/** Step.EndTx: AND [NO] CHAIN, ROLLBACK TO, COMMIT / ROLLBACK PREPARED. */
export function onEndTx(st: StatementState, t: Token, kw: number): void {
  if (t !== Token.Word) return
  if (kw === Kw.prepared) return st.write()
  if (kw === Kw.to && st.kind === 'rollback') {
    st.kind = 'savepoint'
    st.step = Step.Done
    return
  }
  if (st.pending === Kw.and) st.chain = kw === Kw.chain
  st.pending = kw === Kw.and ? kw : 0
}

/** Step.Prepare: TRANSACTION followed by a string literal. */
export function onPrepare(st: StatementState, t: Token, kw: number): void {
  if (st.pending === Kw.transaction) {
    if (t === Token.String) st.kind = 'commit'
    st.step = Step.Done
  } else if (t === Token.Word && kw === Kw.transaction) {
    st.pending = kw
  } else {
    st.step = Step.Done
  }
}

/** Step.SetHead: after SET and an optional LOCAL or SESSION, TRANSACTION reads transaction modes. */
export function onSetHead(st: StatementState, t: Token, kw: number): void {
  if (t === Token.Word && st.pending === 0 && (kw === Kw.local || kw === Kw.session)) {
    st.pending = kw
  } else if (t === Token.Word && kw === Kw.transaction) {
    st.pending = 0
    st.step = Step.TxModes
  } else {
    st.step = Step.Done
  }
}
