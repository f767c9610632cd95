/**
 * Routed writes of names the relation catalog has not seen (TableVersions' resolver): they are looked
 * up, and what a write to them also changes (a view's base tables, the real table behind an
 * unqualified name) is recorded as an expansion and bumped, a few ms after the write's own bump.
 * At most one lookup per database is in flight: names written meanwhile wait and go together in the
 * next, so a burst of writes (or of DDL, which forgets every expansion) costs Postgres one query at a
 * time, never one per write. If a lookup fails, the whole database is bumped (safe, never a guess).
 * @module
 */
import { log } from '../log.js'
import type { RelationFacts } from './relation-catalog-sql.js'
import type { TableVersions } from './table-versions.js'

/** Facts per name as written, or undefined when the database cannot be asked (no pool known). */
export type AskCatalog = (
  database: string,
  names: readonly string[],
) => Promise<ReadonlyMap<string, RelationFacts | undefined>> | undefined

/** Relations a write to `tag` also changes, given what the catalog knows of a name. */
export function alsoChanged(tag: string, facts: RelationFacts | undefined): string[] {
  if (facts?.resolved === undefined) return []
  return [facts.resolved, ...facts.bases].filter((t) => t !== tag)
}

/** The queue of written names to look up, per database. */
export class WriteLookups {
  private readonly queued = new Map<string, Set<string>>()
  private readonly busy = new Set<string>()

  constructor(
    private readonly versions: TableVersions,
    private readonly ask: AskCatalog,
  ) {}

  /** Queues written names (`schema.table`, as routed writes bump them); asks now if none is in flight. */
  add(database: string, tables: readonly string[]): void {
    let queue = this.queued.get(database)
    if (queue === undefined) {
      queue = new Set()
      this.queued.set(database, queue)
    }
    for (const t of tables) queue.add(t)
    if (!this.busy.has(database)) this.flush(database)
  }

  private flush(database: string): void {
    const queue = this.queued.get(database)
    this.queued.delete(database)
    // Names a read learned meanwhile need no lookup.
    const todo = [...(queue ?? [])].filter((t) => this.versions.expansion(database, t) === undefined)
    if (todo.length === 0) return
    // `public.x` may have been written `x`, resolving elsewhere under the user's search_path.
    const names = todo.flatMap((t) => (t.startsWith('public.') ? [t, t.slice(7)] : [t]))
    const asked = this.ask(database, names)
    if (asked === undefined) return
    this.busy.add(database)
    asked
      .then((found) => this.learned(database, todo, found))
      .catch((error: unknown) => {
        log.warn('relation catalog lookup for a write failed: every table of the database is bumped', {
          database,
          error: String(error),
        })
        this.versions.bumpAll(database)
      })
      .finally(() => {
        this.busy.delete(database)
        if (this.queued.has(database)) this.flush(database)
      })
  }

  private learned(
    database: string,
    todo: readonly string[],
    found: ReadonlyMap<string, RelationFacts | undefined>,
  ): void {
    for (const tag of todo) {
      const also = new Set(alsoChanged(tag, found.get(tag)))
      if (tag.startsWith('public.')) for (const t of alsoChanged(tag, found.get(tag.slice(7)))) also.add(t)
      this.versions.expand(database, tag, [...also])
      if (also.size > 0) this.versions.bump(database, also, false)
    }
  }
}
