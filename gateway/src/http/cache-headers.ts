/**
 * The `Skiff-*` cache headers of a `POST /sql` response (issue 22), for an edge read cache:
 * `Skiff-Read-Only`, `Skiff-Cacheable`, `Skiff-Tables`, `Skiff-Writes` and `Skiff-Table-Versions`
 * (README "Table versions and cache headers"). The writes a request makes are bumped by its session
 * (session/routed-writes.ts), as for TCP and WebSocket clients.
 * @module
 */
import { tableVersions } from '../pool/table-versions.js'
import type { UserPool } from '../pool/user-pool.js'
import { type CacheFacts, combineCacheFacts, sqlCacheFacts } from '../sql/index.js'
import type { SqlBody } from './sql-body.js'

/** Response headers a browser may read, for `Access-Control-Expose-Headers`. */
export const CACHE_HEADERS = [
  'Skiff-Read-Only',
  'Skiff-Cacheable',
  'Skiff-Tables',
  'Skiff-Writes',
  'Skiff-Table-Versions',
] as const

/** The facts of a request's statements (a batch: combined, so cacheable only if each is). */
export function bodyCacheFacts(body: SqlBody): CacheFacts {
  if (body.kind === 'single') return sqlCacheFacts(body.query.query)
  return combineCacheFacts(body.queries.map((q) => sqlCacheFacts(q.query)))
}

/** A table list for a header: names joined by `,`, each percent-encoded where it must be. */
export function tableList(tables: readonly string[]): string {
  return tables.map(encodeURIComponent).join(',')
}

/**
 * The headers of a request's response, with the versions of the tables it reads taken now (before it
 * runs: a write landing meanwhile makes the cached entry look older, never newer).
 */
export function cacheHeaders(facts: CacheFacts, pool: UserPool | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Skiff-Read-Only': String(facts.readOnly),
    'Skiff-Cacheable': String(facts.cacheable),
    'Skiff-Tables': tableList(facts.tables),
  }
  if (facts.writes !== undefined) headers['Skiff-Writes'] = tableList(facts.writes)
  if (pool !== undefined && pool.tableVersions !== 'off' && facts.readOnly) {
    const versions = tableVersions.versions(pool.database, facts.tables)
    headers['Skiff-Table-Versions'] = Object.entries(versions)
      .map(([t, v]) => `${encodeURIComponent(t)}=${v}`)
      .join(',')
  }
  return headers
}
