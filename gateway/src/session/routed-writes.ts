/**
 * Table versions from the writes a session routes (issue 22, `[pools.X] table_versions = "routed"` or
 * `"logical"`): each Query or Parse the client sends that the classifier calls a write has its target
 * tables noted (sql/cache-facts.ts), and they are bumped (pool/table-versions.ts) at the ReadyForQuery
 * that ends the transaction: at once for an autocommit statement, at COMMIT for a transaction block.
 * A block that ends in ROLLBACK bumps too, which only makes cached entries look older.
 *
 * Reads cost one shape-cache lookup per statement and nothing else; a write decodes its text for the
 * cache of write targets. Not seen: a named prepared statement parsed in an earlier transaction and
 * only bound and executed in this one (its Parse was noted then, not now); logical mode sees those.
 * @module
 */
import { tableVersions } from '../pool/table-versions.js'
import type { UserPool } from '../pool/user-pool.js'
import { classifyCached, sqlCacheFacts } from '../sql/index.js'

const QUERY = 0x51 // 'Q'
const PARSE = 0x50 // 'P'

/** The writes of one client's current transaction, not yet bumped. */
export class RoutedWrites {
  private tables: Set<string> | undefined
  private everything = false

  /** A Query or Parse message `buf[start, end)` of the client's, on `pool`. */
  note(pool: UserPool, code: number, buf: Buffer, start: number, end: number): void {
    if (pool.tableVersions === 'off') return
    const range = textRange(code, buf, start, end)
    if (range === undefined) return
    const info = classifyCached(buf, range[0], range[1])
    if (info.kind !== 'write' && info.kind !== 'other') return
    const facts = sqlCacheFacts(buf.toString('utf8', range[0], range[1]))
    if (facts.writes === undefined) this.everything = true
    else if (facts.writes.length > 0) {
      this.tables ??= new Set()
      for (const t of facts.writes) this.tables.add(t)
    }
  }

  /** The transaction ended (ReadyForQuery 'I'): bumps what it wrote. */
  ended(pool: UserPool): void {
    if (this.tables === undefined && !this.everything) return
    if (this.everything) tableVersions.bumpAll(pool.database)
    else tableVersions.bump(pool.database, this.tables!)
    this.tables = undefined
    this.everything = false
  }
}

/** Where a Query's text or a Parse's query string is in the message; undefined for a malformed one. */
function textRange(code: number, buf: Buffer, start: number, end: number): [number, number] | undefined {
  if (code === QUERY) return [start + 5, end - 1]
  if (code !== PARSE) return undefined
  const nameEnd = buf.indexOf(0, start + 5)
  const textEnd = nameEnd < 0 ? -1 : buf.indexOf(0, nameEnd + 1)
  return nameEnd < 0 || textEnd < 0 || textEnd >= end ? undefined : [nameEnd + 1, textEnd]
}
