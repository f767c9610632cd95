/**
 * One `/sql` request of a client: Neon's headers, the connection string, Skiff's routing headers and
 * the read-your-writes bookmark going out; the bookmark coming back; errors as SkiffErrors.
 * @module
 */
import type { BookmarkState } from './bookmark.js'
import type { ClientConfig, QueryOptions, TransactionOptions } from './config.js'
import { errorOfAnswer, type HttpAnswer, httpQuery } from './http.js'
import { type Routing, routingHeaders } from './routing.js'

/** Sends `body`; returns the 200 answer (and keeps its `Skiff-Lsn`) or throws its SkiffError. */
export async function sendSql(
  config: ClientConfig,
  bookmark: BookmarkState,
  body: unknown,
  routing: Routing,
  extra: Record<string, string>,
): Promise<HttpAnswer> {
  const ryw = config.readYourWrites !== false
  const headers: Record<string, string> = {
    'Neon-Connection-String': connectionString(config),
    'Neon-Raw-Text-Output': 'true',
    'Neon-Array-Mode': 'true',
    ...routingHeaders(routing),
    ...extra,
  }
  if (config.token !== undefined) headers.Authorization = `Bearer ${config.token}`
  if (ryw && bookmark.lsn !== undefined) headers['Skiff-Lsn'] = bookmark.lsn
  const answer = await httpQuery(config, body, headers)
  if (answer.status !== 200) throw errorOfAnswer(answer)
  if (ryw) bookmark.advance(answer.headers.get('Skiff-Lsn') ?? undefined)
  return answer
}

/** The `Neon-Batch-*` headers of a batch's options. */
export function batchHeaders(o: TransactionOptions): Record<string, string> {
  const h: Record<string, string> = {}
  if (o.isolationLevel !== undefined) h['Neon-Batch-Isolation-Level'] = o.isolationLevel
  if (o.readOnly !== undefined) h['Neon-Batch-Read-Only'] = String(o.readOnly)
  if (o.deferrable !== undefined) h['Neon-Batch-Deferrable'] = String(o.deferrable)
  return h
}

/** The edge-cache hint headers of a query (none without `cache`). */
export function cacheHeaders(o: QueryOptions['cache']): Record<string, string> {
  if (o === undefined) return {}
  const h: Record<string, string> = {}
  const directives = []
  if (o.maxAge !== undefined) directives.push(`max-age=${o.maxAge}`)
  if (o.staleWhileRevalidate !== undefined)
    directives.push(`stale-while-revalidate=${o.staleWhileRevalidate}`)
  if (o.noCache === true) directives.push('no-cache')
  if (o.noStore === true) directives.push('no-store')
  if (directives.length > 0) h['Skiff-Cache-Control'] = directives.join(', ')
  if (o.tags !== undefined && o.tags.length > 0) h['Skiff-Cache-Tags'] = o.tags.join(',')
  return h
}

/** `postgresql://user:pass@host/db` for the Neon-Connection-String header (the host is not dialled). */
function connectionString(c: ClientConfig): string {
  const host = new URL(c.url).hostname || 'localhost'
  const auth =
    encodeURIComponent(c.user) + (c.password === undefined ? '' : `:${encodeURIComponent(c.password)}`)
  const app =
    c.applicationName === undefined ? '' : `?application_name=${encodeURIComponent(c.applicationName)}`
  return `postgresql://${auth}@${host}/${encodeURIComponent(c.database)}${app}`
}
