/**
 * Table versions from the writes a session routes (issue 22, `[pools.X] table_versions = "routed"` or
 * `"logical"`): each Query or Parse the client sends that the classifier calls a write has its target
 * tables noted (sql/cache-facts.ts), and they are bumped (pool/table-versions.ts) at the ReadyForQuery
 * that ends the transaction: at once for an autocommit statement, at COMMIT for a transaction block.
 * A block that ends in ROLLBACK bumps too, which only makes cached entries look older.
 *
 * A named prepared statement that writes is remembered by name when parsed, so a Bind of it in a later
 * transaction (postgres.js, node-postgres with `name`) counts too, until the client closes it (Close, or
 * a SQL DEALLOCATE: Rails' statement cache). A SQL EXECUTE is a write of unknown tables (the whole
 * database is bumped).
 *
 * A text without a word that writes (sql/write-words.ts: one pass over its bytes, about 0.1 µs for
 * pgbench's SELECT) costs nothing more; one with such a word is classified (a shape-cache hit) and, if
 * a write, its targets looked up by the same shape (sql/write-targets.ts: nothing is decoded on a hit).
 * A Bind of an unnamed statement costs a byte check.
 * @module
 */
import { tableVersions } from '../pool/table-versions.js'
import type { UserPool } from '../pool/user-pool.js'
import { classifyCached, defaultShapeCache, mayWriteTables, WriteTargetCache } from '../sql/index.js'
import { isDiscardAll, mayBeDeallocate, parseDeallocate } from './deallocate.js'

const QUERY = 0x51 // 'Q'
const PARSE = 0x50 // 'P'
const BIND = 0x42 // 'B'
const CLOSE = 0x43 // 'C'
const STATEMENT = 0x53 // 'S'

/** The targets of the writes every session routes, by shape (one cache: shapes recur across clients). */
const targets = new WriteTargetCache()

/** The writes of one client's current transaction, not yet bumped. */
export class RoutedWrites {
  private tables: Set<string> | undefined
  private everything = false
  /** The client's named statements that write: their tables, or undefined when unknown. */
  private readonly named = new Map<string, readonly string[] | undefined>()

  /** A Query, Parse, Bind or Close message `buf[start, end)` of the client's, on `pool`. */
  note(pool: UserPool, code: number, buf: Buffer, start: number, end: number): void {
    if (pool.tableVersions === 'off') return
    if (code === BIND) return this.bind(buf, start, end)
    if (code === CLOSE) return this.close(buf, start, end)
    const range = textRange(code, buf, start, end)
    if (range === undefined) return
    const name = code === PARSE && buf[start + 5] !== 0 ? buf.toString('utf8', start + 5, range[0] - 1) : ''
    if (name !== '') this.named.delete(name)
    if (!mayWriteTables(buf, range[0], range[1])) return
    const info = classifyCached(buf, range[0], range[1])
    if (info.kind !== 'write' && info.kind !== 'other') return
    // `classifyCached` just read this text's shape into the default cache's `shape`.
    const writes = targets.of(buf, range[0], range[1], defaultShapeCache.shape)
    if (name !== '') this.named.set(name, writes)
    this.add(writes)
  }

  /** A Bind of a named statement that writes: its tables count in this transaction. */
  private bind(buf: Buffer, start: number, end: number): void {
    if (this.named.size === 0) return
    const portalEnd = buf.indexOf(0, start + 5)
    if (portalEnd < 0 || portalEnd + 1 >= end || buf[portalEnd + 1] === 0) return
    const nameEnd = buf.indexOf(0, portalEnd + 1)
    if (nameEnd < 0 || nameEnd >= end) return
    const name = buf.toString('utf8', portalEnd + 1, nameEnd)
    if (this.named.has(name)) this.add(this.named.get(name))
  }

  /** A Close of a named statement: forgotten, so a client that closes what it prepares stays bounded. */
  private close(buf: Buffer, start: number, end: number): void {
    if (this.named.size === 0 || buf[start + 5] !== STATEMENT) return
    const nameEnd = buf.indexOf(0, start + 6)
    if (nameEnd > start + 6 && nameEnd < end) this.named.delete(buf.toString('utf8', start + 6, nameEnd))
  }

  /**
   * A Query `buf[start, end)` that, if it is a lone DEALLOCATE or DISCARD ALL, has been carried out
   * (by the statement rewriter, or by a server that knows the client's names): its statements are
   * forgotten.
   */
  deallocated(buf: Buffer, start: number, end: number): void {
    if (this.named.size === 0 || !mayBeDeallocate(buf, start + 5, end)) return
    const text = buf.toString('utf8', start + 5, end - 1)
    const target = parseDeallocate(text)
    if (target !== undefined && 'name' in target) this.named.delete(target.name)
    else if (target !== undefined || isDiscardAll(text)) this.named.clear()
  }

  /** Named statements that write, remembered now. */
  get namedWrites(): number {
    return this.named.size
  }

  private add(writes: readonly string[] | undefined): void {
    if (writes === undefined) this.everything = true
    else if (writes.length > 0) {
      this.tables ??= new Set()
      for (const t of writes) this.tables.add(t)
    }
  }

  /** The transaction ended (ReadyForQuery 'I'): bumps what it wrote. */
  ended(pool: UserPool): void {
    if (this.everything) tableVersions.bumpAll(pool.database)
    else if (this.tables !== undefined && this.tables.size > 0) tableVersions.bump(pool.database, this.tables)
    else return
    this.tables?.clear() // kept for the next transaction: one Set per session, not per write
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
