/**
 * The `Skiff-*` cache headers of a `POST /sql` response (issue 22), for an edge read cache:
 * `Skiff-Read-Only`, `Skiff-Cacheable`, `Skiff-Tables`, `Skiff-Writes` and `Skiff-Table-Versions`
 * (README "Table versions and cache headers"). The writes a request makes are bumped by its session
 * (session/routed-writes.ts), as for TCP and WebSocket clients.
 *
 * A cacheable read's names go through the relation catalog (pool/relation-catalog.ts): its tags add
 * the `schema.table` an unqualified name resolves to and the tables under a view, and a call of a
 * user-defined function that is not immutable (or of any volatile one, or a view using one) makes it
 * uncachable. When the catalog cannot answer, the read is not cacheable: never a guess.
 * @module
 */
import { log } from '../log.js'
import { type CatalogAnswer, relationCatalog } from '../pool/relation-catalog.js'
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

/** What the catalog adds to a read's text facts. */
interface Resolved {
  readonly cacheable: boolean
  readonly tables: readonly string[]
}

/** The tags and cacheability of a cacheable read, with the catalog's answer. */
export function resolvedFacts(facts: CacheFacts, answer: CatalogAnswer): Resolved {
  const tables = new Set(facts.tables)
  let cacheable = true
  for (const unsafe of answer.functions.values()) if (unsafe) cacheable = false
  for (const rel of answer.relations.values()) {
    if (rel === undefined) continue
    if (rel.resolved !== undefined) tables.add(rel.resolved)
    for (const t of rel.bases) tables.add(t)
    // Postgres records no dependency on built-in functions: scan the views' text for them.
    if (rel.unsafe || rel.definitions.some((d) => !sqlCacheFacts(d).cacheable)) cacheable = false
  }
  return { cacheable, tables: [...tables] }
}

/** Asks the catalog about a cacheable read; not cacheable when it cannot answer. */
async function resolve(facts: CacheFacts, pool: UserPool | undefined): Promise<Resolved> {
  if (!facts.cacheable) return facts
  if (facts.relations.length === 0 && facts.functions.length === 0) return facts
  if (pool === undefined) return { cacheable: false, tables: facts.tables }
  try {
    return resolvedFacts(facts, await relationCatalog.lookup(pool, facts.relations, facts.functions))
  } catch (error) {
    log.debug('relation catalog lookup failed: the read is not cacheable', {
      pool: pool.name,
      error: String(error),
    })
    return { cacheable: false, tables: facts.tables }
  }
}

/**
 * The headers of a request's response, called once it has run. `mark` is `tableVersions.mark` taken
 * before it ran: a table bumped since is reported at `mark`, older than its version now, so an entry
 * a write may have overtaken looks stale at once (never newer than what it holds).
 */
export async function cacheHeaders(
  facts: CacheFacts,
  pool: UserPool | undefined,
  mark: number,
): Promise<Record<string, string>> {
  const { cacheable, tables } = await resolve(facts, pool)
  const headers: Record<string, string> = {
    'Skiff-Read-Only': String(facts.readOnly),
    'Skiff-Cacheable': String(cacheable),
    'Skiff-Tables': tableList(tables),
  }
  if (facts.writes !== undefined) headers['Skiff-Writes'] = tableList(facts.writes)
  if (pool !== undefined && pool.tableVersions !== 'off' && facts.readOnly) {
    headers['Skiff-Table-Versions'] = tables
      .map((t) => `${encodeURIComponent(t)}=${Math.min(tableVersions.version(pool.database, t), mark)}`)
      .join(',')
  }
  return headers
}
