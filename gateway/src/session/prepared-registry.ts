import { randomBytes } from 'node:crypto'
import { classifyCached, type StatementInfo } from '../sql/index.js'
/**
 * Gateway-wide names for prepared statements: every distinct statement text and parameter type list
 * gets one name, so that server connections can share it between clients.
 * @module
 */

/** A statement as the gateway prepares it on servers. */
export interface GlobalStatement {
  /** The name used on every server, e.g. `skiff_3fa9c1d2_12`. */
  readonly name: string
  /** The Parse body after the name: query text, parameter count and types. */
  readonly body: Buffer
  /** A server accepted it once: a client's lone Parse of it can be answered without a server. */
  validated: boolean
  /**
   * What the statement does, classified once at the first Bind that opens a transaction with it
   * and kept for every client and execution after (the router's read/write decision).
   */
  info?: StatementInfo
}

/** The classification of a statement, cached with it (see {@link GlobalStatement.info}). */
export function statementInfo(stmt: GlobalStatement): StatementInfo {
  if (stmt.info === undefined) {
    const textEnd = stmt.body.indexOf(0)
    stmt.info = classifyCached(stmt.body, 0, textEnd < 0 ? stmt.body.length : textEnd)
  }
  return stmt.info
}

/** Maps Parse bodies to gateway-wide statements. */
export class PreparedRegistry {
  private readonly byBody = new Map<string, GlobalStatement>()
  private next = 1
  /**
   * A per-process random part, so that no client can name a gateway statement it never prepared by
   * guessing (names a client did not prepare that fall in this namespace are refused anyway).
   */
  readonly prefix = `skiff_${randomBytes(4).toString('hex')}_`

  /** The gateway-wide statement for a Parse body (query + parameter types), created on first sight. */
  lookup(body: Buffer): GlobalStatement {
    const key = body.toString('latin1') // byte-exact and cheap; the text is only used as a key
    let stmt = this.byBody.get(key)
    if (stmt === undefined) {
      stmt = { name: `${this.prefix}${this.next++}`, body: Buffer.from(body), validated: false }
      this.byBody.set(key, stmt)
    }
    return stmt
  }

  get size(): number {
    return this.byBody.size
  }
}
