/**
 * `createClient`: the tagged template, `query`, `batch` (HTTP) and `transaction` (WebSocket), routing
 * on every call and on derived clients, and read-your-writes through a shared bookmark.
 * @module
 */
import { BookmarkState } from './bookmark.js'
import type { ClientConfig, QueryOptions, TransactionOptions } from './config.js'
import { SkiffError } from './errors.js'
import { errorOfAnswer, type HttpAnswer, httpQuery } from './http.js'
import { encodeParam, fromTemplate, type SqlQuery } from './params.js'
import { parseResult, type QueryResult, type RawResult, responseMeta } from './result.js'
import { mergeRouting, type Routing, routingCommands, routingHeaders } from './routing.js'
import { beginStatement, type SkiffTransaction, transactionHandle } from './transaction.js'
import type { TypeOverrides } from './types.js'
import { typeParsers, withOverrides } from './types.js'
import { type WebSocketConstructor, WireConnection } from './wire/connection.js'

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

const CACHE_HEADERS = (o: QueryOptions['cache']): Record<string, string> => {
  if (o === undefined) return {}
  const h: Record<string, string> = {}
  const directives = []
  if (o.maxAge !== undefined) directives.push(`max-age=${o.maxAge}`)
  if (o.staleWhileRevalidate !== undefined)
    directives.push(`stale-while-revalidate=${o.staleWhileRevalidate}`)
  if (directives.length > 0) h['Skiff-Cache-Control'] = directives.join(', ')
  if (o.tags !== undefined && o.tags.length > 0) h['Skiff-Cache-Tags'] = o.tags.join(',')
  return h
}

function build(config: ClientConfig, routing: Routing, bookmark: BookmarkState): SkiffClient {
  const parserOf = typeParsers(config)
  const ryw = config.readYourWrites !== false

  const send = async (body: unknown, r: Routing, extra: Record<string, string>): Promise<HttpAnswer> => {
    const headers: Record<string, string> = {
      'Neon-Connection-String': connectionString(config),
      'Neon-Raw-Text-Output': 'true',
      'Neon-Array-Mode': 'true',
      ...routingHeaders(r),
      ...extra,
    }
    if (config.token !== undefined) headers.Authorization = `Bearer ${config.token}`
    if (ryw && bookmark.lsn !== undefined) headers['Skiff-Lsn'] = bookmark.lsn
    const answer = await httpQuery(config, body, headers)
    if (answer.status !== 200) throw errorOfAnswer(answer)
    if (ryw) bookmark.advance(answer.headers.get('Skiff-Lsn') ?? undefined)
    return answer
  }

  const query = async <T>(text: string, params: readonly unknown[] = [], o: QueryOptions = {}) => {
    const body = { query: text, params: params.map(encodeParam) }
    const answer = await send(body, mergeRouting(routing, o), CACHE_HEADERS(o.cache))
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
    const extra: Record<string, string> = {}
    if (o.isolationLevel !== undefined) extra['Neon-Batch-Isolation-Level'] = o.isolationLevel
    if (o.readOnly !== undefined) extra['Neon-Batch-Read-Only'] = String(o.readOnly)
    if (o.deferrable !== undefined) extra['Neon-Batch-Deferrable'] = String(o.deferrable)
    const answer = await send(body, mergeRouting(routing, o), extra)
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

/** `postgresql://user:pass@host/db` for the Neon-Connection-String header (the host is not dialled). */
function connectionString(c: ClientConfig): string {
  const host = new URL(c.url).hostname || 'localhost'
  const auth =
    encodeURIComponent(c.user) + (c.password === undefined ? '' : `:${encodeURIComponent(c.password)}`)
  return `postgresql://${auth}@${host}/${encodeURIComponent(c.database)}`
}

/** The WebSocket URL of the gateway: ws(s) on the same host and port. */
function webSocketUrl(c: ClientConfig): string {
  const u = new URL(c.url)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.pathname = c.webSocketPath ?? '/v2'
  return u.toString()
}

async function runTransaction<R>(
  config: ClientConfig,
  routing: Routing,
  o: TransactionOptions,
  bookmark: BookmarkState,
  body: (conn: WireConnection) => Promise<R>,
): Promise<R> {
  const WS = config.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (WS === undefined)
    throw new SkiffError('transaction() needs a WebSocket: pass createClient({ WebSocket })', {
      code: 'SKIFF_BAD_INPUT',
    })
  const ryw = config.readYourWrites !== false
  const conn = await WireConnection.open({
    url: webSocketUrl(config),
    user: config.user,
    password: config.password,
    database: config.database,
    WebSocket: WS,
    applicationName: config.applicationName,
  })
  try {
    // The WebSocket front cannot carry a bookmark: a client that has written reads on the primary.
    const pinned = ryw && bookmark.lsn !== undefined && routing.role === undefined
    for (const cmd of routingCommands(pinned ? { ...routing, role: 'primary' } : routing))
      await conn.query(cmd)
    await conn.query(beginStatement(o))
    let out: R
    try {
      out = await body(conn)
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => {})
      throw err
    }
    await conn.query('COMMIT')
    if (ryw && o.readOnly !== true && routing.role !== 'replica') await learnPosition(conn, bookmark)
    return out
  } finally {
    conn.close()
  }
}

/** After a commit: the primary's WAL position, as the bookmark later HTTP reads carry. */
async function learnPosition(conn: WireConnection, bookmark: BookmarkState): Promise<void> {
  try {
    await conn.query(`SET SERVER ROLE TO 'primary'`)
    const r = await conn.query('SELECT pg_current_wal_lsn()::text')
    bookmark.advance(r.rows[0]?.[0] ?? undefined)
  } catch {
    // No position (e.g. a pool without replicas refusing the role): later reads go where routing says.
  }
}
