/**
 * Invalidation inside one isolate: the time each tag was last invalidated. An entry is stale when any
 * of its tags (the tables it read, its caller tags) was invalidated at or after the entry's `readAt`
 * (the moment its request left for Skiff), so a read that raced a write is stale too. Other isolates
 * learn of a write through Skiff's table versions (see versions.ts), not through this map.
 * @module
 */
import type { EntryMeta } from './edge-cache.js'

/** Every tag of one database ("everything of the database"). */
const ALL = '*'
/** A tag in every database (`invalidate(tag)` without a database). */
const ANY_DB = '*'

/** Times of the last invalidation per (database, tag). */
export class Invalidations {
  readonly #at = new Map<string, number>()

  /** Marks `tag` of `database` (every database when omitted; `*` = every tag) invalidated now. */
  invalidate(tag: string, database = ANY_DB, now = Date.now()): void {
    const key = `${database}\0${tag}`
    this.#at.set(key, Math.max(now, this.#at.get(key) ?? 0))
  }

  /** Marks every entry of `database` invalidated (a write whose tables Skiff did not name). */
  invalidateDatabase(database: string, now = Date.now()): void {
    this.invalidate(ALL, database, now)
  }

  /** Whether an entry of `database` was invalidated after it was read. */
  isStale(database: string, meta: EntryMeta): boolean {
    const stale = (key: string) => (this.#at.get(key) ?? -1) >= meta.readAt
    if (stale(`${database}\0${ALL}`) || stale(`${ANY_DB}\0${ALL}`)) return true
    for (const tag of [...meta.tables, ...meta.tags])
      if (stale(`${database}\0${tag}`) || stale(`${ANY_DB}\0${tag}`)) return true
    return false
  }
}
