/**
 * A client request as the router sees it: the first message of a transaction (a Query, or the first
 * extended-protocol message of a batch up to Sync/Flush), classified once and only when asked. It
 * points into the framer's buffer and copies nothing, so cutting it costs nothing per query; the
 * statement text is decoded only when the router reads it.
 * @module
 */

import type { PoolSharding } from '../pool/pool-sharding.js'
import { FrontendCode } from '../protocol/codes.js'
import { readBindStatement } from '../protocol/extended.js'
import type { RouteRequest } from '../router/route.js'
import type { StatementShardSources } from '../router/shard-target.js'
import { classifyCached, type StatementInfo, statementTables } from '../sql/index.js'
import { ShardSourceReader, type StatementBytes } from './shard-sources.js'

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
  /** The Parse body (text, NUL, parameter types) of a named statement: a Bind's text for sharding. */
  statementBody?: (name: string) => Buffer | undefined
  /** The first Bind of the request's batch, when the request is not one: its parameters may be the key. */
  private bind?: { buf: Buffer; start: number; end: number }
  /** The request runs a statement (a Query, or an Execute in its batch), not only Parse/Describe. */
  private executes = false
  private shardReader?: ShardSourceReader

  /** Points at message `buf[start, end)` with type `code`. Valid until the framer's next push. */
  set(code: number, buf: Buffer, start: number, end: number): void {
    this.code = code
    this.buf = buf
    this.start = start
    this.end = end
    this.info = undefined
    this.bind = undefined
    this.executes = code === FrontendCode.Query || code === FrontendCode.Execute
  }

  /** The request runs a statement: a Query, or a batch with an Execute (not only Parse/Describe). */
  get runsStatement(): boolean {
    return this.executes
  }

  /**
   * A later message of the request's batch: its first Bind (same buffer lifetime as the request)
   * carries the parameters; an Execute means the batch runs a statement.
   */
  follow(code: number, buf: Buffer, start: number, end: number): void {
    if (code === FrontendCode.Execute) this.executes = true
    else if (code === FrontendCode.Bind && this.bind === undefined && this.code !== FrontendCode.Bind)
      this.bind = { buf, start, end }
  }

  /**
   * What the statement says of its shard (comments, the automatic key's values), for pools of
   * several shards (request/shard-sources.ts). A Bind of a named statement reads that statement's
   * text, known only with the statement cache on (prepared_statements_cache_size > 0).
   */
  shardSources(sharding: PoolSharding): StatementShardSources | undefined {
    if (!this.executes) return DESCRIBES_ONLY
    const bytes = this.statementBytes()
    if (bytes === 'unknown') return UNKNOWN_STATEMENT
    if (bytes === undefined) return undefined
    this.shardReader ??= new ShardSourceReader()
    return this.shardReader.read(sharding, bytes)
  }

  private statementBytes(): StatementBytes | 'unknown' | undefined {
    const { buf, start, end } = this
    if (this.code === FrontendCode.Bind) {
      const body = this.statementBody?.(readBindStatement(buf, start, end).name)
      if (body === undefined) return 'unknown'
      const textEnd = body.indexOf(0)
      return {
        buf: body,
        start: 0,
        end: textEnd,
        bind: { buf, start, end },
        paramTypes: paramTypes(body, textEnd + 1),
      }
    }
    const [textStart, textEnd] = this.textRange()
    if (textStart >= textEnd) return undefined
    const types = this.code === FrontendCode.Parse ? paramTypes(buf, textEnd + 1) : undefined
    return { buf, start: textStart, end: textEnd, bind: this.bind, paramTypes: types }
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

const DESCRIBES_ONLY: StatementShardSources = { runsNothing: true }
const UNKNOWN_STATEMENT: StatementShardSources = { unknownStatement: true }

/** The parameter type OIDs of a Parse whose types start at `at` (an int16 count, then int32 each). */
function paramTypes(buf: Buffer, at: number): number[] | undefined {
  if (at + 2 > buf.length) return undefined
  const n = buf.readInt16BE(at)
  if (n <= 0 || at + 2 + 4 * n > buf.length) return undefined
  const types: number[] = []
  for (let i = 0; i < n; i++) types.push(buf.readUInt32BE(at + 2 + 4 * i))
  return types
}
