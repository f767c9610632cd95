/**
 * What the edge cache's tags need to know of a database's relations and functions (issue 22), asked of
 * Postgres once and remembered: the `schema.table` an unqualified name resolves to under the pool
 * user's default search_path, the tables under a view (recursively), and whether a function a read
 * calls may change its result between calls (relation-catalog-sql.ts has the query). All names a
 * request needs that are not known yet go in one query, through the request's own pool.
 *
 * Remembered per database, at most {@link CATALOG_CAPACITY} names, each for {@link CATALOG_TTL_MS}:
 * long enough that a hot read costs no query (one per name a minute), short enough that a view
 * redefined outside Skiff is followed within a minute. DDL sent through Skiff is a write of unknown
 * targets, bumped with TableVersions.bumpAll, and that forgets the database at once.
 *
 * It also fills TableVersions' expansions: a read learns them for the names it reads, and a routed
 * write of a name never looked up is looked up here (through the last pool of that database an HTTP
 * read came through; a cached read exists only if one did) and its bases bumped when Postgres
 * answers (relation-catalog-writes.ts): a few ms after the write's own bump, the window in which a
 * read of a base table may be served from an entry older than a write made through a view. If that
 * lookup fails, the whole database is bumped.
 * @module
 */
import { ExpiringMap } from './expiring-map.js'
import type { TextRows } from './internal-query.js'
import { runPoolQuery } from './relation-catalog-query.js'
import { catalogSql, parseCatalogRows, type RelationFacts } from './relation-catalog-sql.js'
import { alsoChanged, WriteLookups } from './relation-catalog-writes.js'
import { type TableVersions, tableVersions } from './table-versions.js'
import type { UserPool } from './user-pool.js'

/** Names remembered per database. */
export const CATALOG_CAPACITY = 10_000
/** How long an answer counts (see the module's comment for why a minute). */
export const CATALOG_TTL_MS = 60_000

/** What a read's names are: facts per relation name (undefined: no such relation), unsafe per function. */
export interface CatalogAnswer {
  readonly relations: ReadonlyMap<string, RelationFacts | undefined>
  readonly functions: ReadonlyMap<string, boolean>
}

/** How the catalog reaches Postgres (a test may count or fail the queries). */
export type CatalogRunner = (pool: UserPool, sql: string) => Promise<TextRows>

type Entry = { readonly facts: RelationFacts | undefined } | { readonly unsafe: boolean }

/** What one database's catalog holds: answers, and the keys being asked about now. */
interface Known {
  readonly cache: ExpiringMap<string, Entry>
  readonly pending: Map<string, Promise<Entry>>
  generation: number
}

/** The `schema.table` a routed write bumps for a name as written (sql/cache-facts.ts qualifiedTable). */
export function writtenName(name: string): string {
  const parts = name.split('.')
  return parts.length === 1 ? `public.${name}` : parts.slice(-2).join('.')
}

/** The catalogs of every database. */
export class RelationCatalog {
  /** Catalog queries sent (for tests and the README's cost claim). */
  queries = 0
  private readonly databases = new Map<string, Known>()
  /** The newest pool an HTTP read of each database came through: write lookups go there. */
  private readonly pools = new Map<string, UserPool>()
  private readonly writes: WriteLookups

  constructor(
    private readonly versions: TableVersions = tableVersions,
    private readonly run: CatalogRunner = runPoolQuery,
    private readonly ttlMs = CATALOG_TTL_MS,
    private readonly capacity = CATALOG_CAPACITY,
  ) {
    this.writes = new WriteLookups(versions, (database, names) => {
      const pool = this.pools.get(database)
      // No HTTP read of this database: no cached entry to invalidate.
      if (pool === undefined) return undefined
      return this.fetch(pool, names, []).then((found) => {
        const facts = new Map<string, RelationFacts | undefined>()
        for (const name of names) {
          const entry = found.get(relationKey(pool, name))
          if (entry !== undefined && 'facts' in entry) facts.set(name, entry.facts)
        }
        return facts
      })
    })
  }

  /** Starts following TableVersions: forgets a database at bumpAll, looks up unknown written names. */
  attach(): this {
    this.versions.onBumpAll((database) => this.forget(database))
    this.versions.resolver = (database, tables) => {
      if (this.pools.has(database)) this.writes.add(database, tables)
    }
    return this
  }

  /** Forgets what is known of `database` (DDL went through). */
  forget(database: string): void {
    const db = this.databases.get(database)
    if (db === undefined) return
    db.cache.clear()
    db.pending.clear() // an answer on its way may predate the DDL: later reads ask again
    db.generation++
  }

  /**
   * The facts of a read's relation names (as the text names them) and function names, known or asked
   * in one query through `pool` (a name another request is asking about now waits for that answer);
   * rejects when Postgres cannot answer.
   */
  async lookup(
    pool: UserPool,
    relations: readonly string[],
    functions: readonly string[],
  ): Promise<CatalogAnswer> {
    this.pools.set(pool.database, pool)
    const db = this.database(pool.database)
    const entries = new Map<string, Entry | Promise<Entry>>()
    const missing = { relations: [] as string[], functions: [] as string[] }
    const take = (key: string, name: string, into: string[]) => {
      const known = db.cache.get(key) ?? db.pending.get(key)
      if (known !== undefined) entries.set(key, known)
      else into.push(name)
    }
    for (const name of relations) take(relationKey(pool, name), name, missing.relations)
    for (const name of functions) take(`f\0${name}`, name, missing.functions)
    if (missing.relations.length + missing.functions.length > 0) {
      const asked = this.fetch(pool, missing.relations, missing.functions)
      const keys = [
        ...missing.relations.map((n) => relationKey(pool, n)),
        ...missing.functions.map((n) => `f\0${n}`),
      ]
      for (const key of keys) {
        const one = asked.then((found) => found.get(key)!)
        one.catch(() => {}) // a failure is reported once, by the first await below; never unhandled
        db.pending.set(key, one)
        entries.set(key, one)
      }
      const settled = () => {
        for (const key of keys) if (db.pending.get(key) === entries.get(key)) db.pending.delete(key)
      }
      asked.then(settled, settled)
    }
    const relationsOut = new Map<string, RelationFacts | undefined>()
    const functionsOut = new Map<string, boolean>()
    for (const name of relations) {
      const entry = await entries.get(relationKey(pool, name))!
      if ('facts' in entry) relationsOut.set(name, entry.facts)
    }
    for (const name of functions) {
      const entry = await entries.get(`f\0${name}`)!
      if ('unsafe' in entry) functionsOut.set(name, entry.unsafe)
    }
    return { relations: relationsOut, functions: functionsOut }
  }

  /**
   * Asks Postgres; remembers the answer unless the database was forgotten meanwhile. Resolves to an
   * entry per key (relationKey, `f\0name`).
   */
  private async fetch(
    pool: UserPool,
    relations: readonly string[],
    functions: readonly string[],
  ): Promise<Map<string, Entry>> {
    const db = this.database(pool.database)
    const generation = db.generation
    this.queries++
    const rows = parseCatalogRows(await this.run(pool, catalogSql(relations, functions)))
    const keep = db.generation === generation
    const out = new Map<string, Entry>()
    for (const name of relations) {
      const facts = rows.relations.get(name)
      const entry = { facts: facts?.resolved === undefined ? undefined : facts }
      out.set(relationKey(pool, name), entry)
      if (!keep) continue
      db.cache.set(relationKey(pool, name), entry)
      const tag = writtenName(name)
      // A name read unqualified and written unqualified is `public.x` to a routed write.
      const known = this.versions.expansion(pool.database, tag) ?? []
      this.versions.expand(pool.database, tag, [...new Set([...known, ...alsoChanged(tag, entry.facts)])])
    }
    for (const name of functions) {
      const entry = { unsafe: rows.functions.get(name) === true }
      out.set(`f\0${name}`, entry)
      if (keep) db.cache.set(`f\0${name}`, entry)
    }
    return out
  }

  private database(database: string) {
    let db = this.databases.get(database)
    if (db === undefined) {
      db = {
        cache: new ExpiringMap<string, Entry>(this.capacity, this.ttlMs),
        pending: new Map<string, Promise<Entry>>(),
        generation: 0,
      }
      this.databases.set(database, db)
    }
    return db
  }
}

/** An unqualified name resolves per user (search_path); a qualified one the same for all. */
function relationKey(pool: UserPool, name: string): string {
  return name.includes('.') ? `r\0${name}` : `r\0${pool.username}\0${name}`
}

/** The gateway's one catalog, following the one TableVersions. */
export const relationCatalog = new RelationCatalog().attach()
