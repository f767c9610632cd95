/**
 * A client request as the router sees it: the first message of a transaction (a Query, or the first
 * extended-protocol message of a batch up to Sync/Flush), classified once and only when asked. It
 * points into the framer's buffer and copies nothing, so cutting it costs nothing per query; the
 * statement text is decoded only when the router reads it.
 * @module
 */
import { FrontendCode } from '../protocol/codes.js'
import { readBindStatement } from '../protocol/extended.js'
import type { RouteRequest } from '../router/route.js'
import { classifyCached, type StatementInfo, statementTables } from '../sql/index.js'

/** The request that opens a transaction. One per session, reused (no allocation per request). */
export class ClientRequest implements RouteRequest {
  code = 0
  private buf: Buffer = Buffer.alloc(0)
  private start = 0
  private end = 0
  private info?: StatementInfo
  /**
   * The session's named statements: a Bind of one prepared in an earlier transaction is classified
   * by its statement, whose classification is cached with it (one classification per statement, not
   * per execution).
   */
  statementLookup?: (name: string) => StatementInfo | undefined

  /** Points at message `buf[start, end)` with type `code`. Valid until the framer's next push. */
  set(code: number, buf: Buffer, start: number, end: number): void {
    this.code = code
    this.buf = buf
    this.start = start
    this.end = end
    this.info = undefined
  }

  /** Where the statement text is in the message: a Query's body, a Parse's query string; else empty. */
  private textRange(): [number, number] {
    const { buf, start, end } = this
    if (this.code === FrontendCode.Query) return [start + 5, end - 1]
    if (this.code !== FrontendCode.Parse) return [end, end]
    const nameEnd = buf.indexOf(0, start + 5)
    const textEnd = nameEnd < 0 ? -1 : buf.indexOf(0, nameEnd + 1)
    return nameEnd < 0 || textEnd < 0 || textEnd >= end ? [end, end] : [nameEnd + 1, textEnd]
  }

  /**
   * What the statement does (sql/: kind, first keyword, transaction control, SET/SHOW parameter,
   * leading comments), classified on first use only, through the shape cache (sql/shape-cache.ts: one
   * lexer pass, the decision kept per statement shape, pgsql-ast-parser asked only on a miss): under
   * 1 µs for pgbench's SELECT, paid only when the router reads it.
   */
  get statement(): StatementInfo {
    this.info ??= this.boundStatement() ?? classifyCached(this.buf, ...this.textRange())
    return this.info
  }

  /** A Bind's statement as the session knows it; undefined for other messages and unknown names. */
  private boundStatement(): StatementInfo | undefined {
    if (this.code !== FrontendCode.Bind || this.statementLookup === undefined) return undefined
    return this.statementLookup(readBindStatement(this.buf, this.start, this.end).name)
  }

  /** The tables the statement names (a second pass over the text, only when asked). */
  tables(): string[] {
    return statementTables(this.buf, ...this.textRange())
  }
}
