/**
 * Read/write splitting's question about one request: may it run on a replica? The classifier
 * (sql/: a byte tokenizer, never a full parse) says what each statement does; here those facts become
 * a target, with every doubt going to the primary:
 * - `read`: only reads, and leaves no transaction open that could write later (`SELECT …`,
 *   `BEGIN; SELECT …; COMMIT`, anything inside `BEGIN READ ONLY`);
 * - `primary`: writes, DDL, locks, primary-only functions, an explicit transaction that is not read
 *   only, anything not known to read;
 * - `hold`: a lone `BEGIN` that names no access mode. Its transaction may turn out read only (`SET
 *   TRANSACTION READ ONLY` next) or not, so the session answers the BEGIN itself and routes the whole
 *   transaction at its first statement (see {@link afterBegin}).
 * @see https://www.postgresql.org/docs/current/hot-standby.html#HOT-STANDBY-USERS
 * @module
 */
import type { StatementInfo } from '../sql/index.js'

/** Where a request may run. */
export type StatementTarget = 'read' | 'primary' | 'hold'

/** The target of a request that opens a transaction or runs outside one. */
export function statementTarget(info: StatementInfo): StatementTarget {
  if (info.unterminated) return 'primary'
  switch (info.kind) {
    case 'read':
    case 'show':
      return readTarget(info)
    case 'begin':
      if (info.readOnly === true) return 'read'
      return info.readOnly === undefined && info.statementCount === 1 ? 'hold' : 'primary'
    default:
      return 'primary'
  }
}

/**
 * The target of the first request after a held `BEGIN`: read only when that request makes the
 * transaction read only before anything runs (`SET TRANSACTION READ ONLY`, possibly followed by
 * reads in the same Query). Anything else is an explicit transaction that may write later, so it runs
 * wholly on the primary, its first read included.
 */
export function afterBegin(info: StatementInfo): 'read' | 'primary' {
  if (info.unterminated || info.readOnly !== true) return 'primary'
  const first = info.kinds[0]
  if (first !== 'set' || info.parameter?.name !== 'transaction') return 'primary'
  return info.kind === 'set' || info.kind === 'read' || info.kind === 'show' ? 'read' : 'primary'
}

/**
 * Reads and SHOWs may go to a replica unless the text leaves a transaction open that is not read
 * only (`BEGIN; SELECT 1` then more later), or switches one to read write.
 */
function readTarget(info: StatementInfo): 'read' | 'primary' {
  if (info.readOnly === false) return 'primary'
  if (!info.transactionControl || info.readOnly === true) return 'read'
  return leavesTransactionOpen(info.kinds) ? 'primary' : 'read'
}

/** True when the last transaction-control statement of the text is a BEGIN. */
function leavesTransactionOpen(kinds: StatementInfo['kinds']): boolean {
  for (let i = kinds.length - 1; i >= 0; i--) {
    const k = kinds[i]
    if (k === 'begin') return true
    if (k === 'commit' || k === 'rollback') return false
  }
  return false
}
