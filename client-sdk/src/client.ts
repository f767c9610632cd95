/**
 * `createClient`: the tagged template, `query`, `batch` (HTTP) and `transaction` (WebSocket), routing
 * on every call and on derived clients, and read-your-writes through a shared bookmark.
 * @module
 */
import { BookmarkState } from './bookmark.js'
import type { ClientConfig, QueryOptions, TransactionOptions } from './config.js'
import { SkiffError } from './errors.js'
import { encodeParam, fromTemplate, type SqlQuery } from './params.js'
import { parseResult, type QueryResult, type RawResult, responseMeta } from './result.js'
import { mergeRouting, type Routing } from './routing.js'
import { batchHeaders, cacheHeaders, sendSql } from './sql-request.js'
import { type SkiffTransaction, transactionHandle } from './transaction.js'
import { type TypeOverrides, typeParsers, withOverrides } from './types.js'
import { runTransaction } from './ws-transaction.js'

/** A client: call it as a tagged template, or use its methods. Derived clients share its bookmark. */
export interface SkiffClient {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>
  /** Builds a statement without running it (for `batch`). */
  sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery
  /** Runs one statement over HTTP; `params` are bound as `$1…$n`. */
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>>
  /** Runs statements in one transaction, in one HTTP round trip. */
  batch(
    queries: readonly SqlQuery[],
    options?: TransactionOptions & { arrayMode?: boolean; types?: TypeOverrides },
  ): Promise<QueryResult[]>
  /** An interactive transaction over WebSocket; rolled back when `fn` throws. */
  transaction<R>(fn: (tx: SkiffTransaction) => Promise<R>, options?: TransactionOptions): Promise<R>
  primary(): SkiffClient
  replica(): SkiffClient
  shard(n: number): SkiffClient
  shardingKey(key: string | number | bigint): SkiffClient
  /** A client like this one that starts from `bookmark` (its own bookmark from then on). */
  withBookmark(bookmark: string | undefined): SkiffClient
  /** The last `Skiff-Lsn` received (pass it to another isolate's client). */
  bookmark(): string | undefined
}

/** Creates a client. Nothing is sent until the first query. */
export function createClient(config: ClientConfig): SkiffClient {
  const { role, shard, shardingKey } = config
  return build(config, { role, shard, shardingKey }, new BookmarkState(config.bookmark))
}

function build(config: ClientConfig, routing: Routing, bookmark: BookmarkState): SkiffClient {
  const parserOf = typeParsers(config)
  const send = (body: unknown, r: Routing, extra: Record<string, string>) =>
    sendSql(config, bookmark, body, r, extra)

  const query = async <T>(text: string, params: readonly unknown[] = [], o: QueryOptions = {}) => {
    const body = { query: text, params: params.map(encodeParam) }
    const answer = await send(body, mergeRouting(routing, o), cacheHeaders(o.cache))
    const parsers = withOverrides(parserOf, o.types)
    return parseResult<T>(answer.json as RawResult, parsers, responseMeta(answer.headers), o.arrayMode)
  }

  const client = (async (strings: TemplateStringsArray, ...values: unknown[]) => {
    const q = fromTemplate(strings, values)
    return (await query(q.text, q.params)).rows
  }) as SkiffClient
  client.sql = (strings, ...values) => fromTemplate(strings, values)
  client.query = query
  client.batch = async (queries, o = {}) => {
    const body = { queries: queries.map((q) => ({ query: q.text, params: q.params.map(encodeParam) })) }
    const answer = await send(body, mergeRouting(routing, o), batchHeaders(o))
    const results = (answer.json as { results?: RawResult[] }).results
    if (!Array.isArray(results))
      throw new SkiffError('the gateway answered a batch without results', { code: 'SKIFF_BAD_RESPONSE' })
    const meta = responseMeta(answer.headers)
    const parsers = withOverrides(parserOf, o.types)
    return results.map((r, i) => parseResult(r, parsers, meta, queries[i]?.arrayMode ?? o.arrayMode))
  }
  client.transaction = (fn, o = {}) =>
    runTransaction(config, mergeRouting(routing, o), o, bookmark, (conn) =>
      fn(transactionHandle(conn, parserOf)),
    )
  const derive = (over: Routing) => build(config, mergeRouting(routing, over), bookmark)
  client.primary = () => derive({ role: 'primary' })
  client.replica = () => derive({ role: 'replica' })
  client.shard = (n) => derive({ shard: n })
  client.shardingKey = (key) => derive({ shardingKey: key })
  client.withBookmark = (b) => build(config, routing, new BookmarkState(b))
  client.bookmark = () => bookmark.lsn
  return client
}
