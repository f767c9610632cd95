/**
 * A version per (pool database, table), for the edge read cache (issue 22): an entry cached while
 * `public.t` was at version 41 is stale once it is 42. Bumped by every write Skiff routes (at the end
 * of the write, or of its transaction) and, with `[pools.X] table_versions = "logical"`, by every change
 * logical replication reports (table-version-replication.ts).
 *
 * Versions are `max(previous + 1, Date.now() × 1000)`: monotonic within the process, and a restarted
 * gateway's versions start above any its predecessor handed out (unless that one bumped more than a
 * thousand times a millisecond on average), so a cache never holds a version newer than a fresh one. A
 * table not bumped since the gateway started has the process's base version (its start time × 1000),
 * not 0: after a restart, writes made while the gateway was down may have happened, and every cached
 * entry must look old.
 *
 * Views (relation-catalog.ts fills {@link TableVersions.expand}): a write through `public.v` bumps
 * `v` and the tables under it, so a read of a base table sees a write made through a view. A written
 * name with no expansion known is handed to the {@link TableVersions.resolver} (the catalog looks it
 * up and bumps its bases when Postgres answers, a few ms after the write's own bump).
 *
 * Bounded: past {@link TableVersions.maxTables} tables in one database, the per-table map is dropped
 * and the database floor raised to the newest version (every table then looks as new as the newest
 * bump: entries cached before look stale, which is safe, and memory stays bounded).
 * @module
 */

/** How a pool keeps its tables' versions (`[pools.X] table_versions`). */
export type TableVersionsMode = 'off' | 'routed' | 'logical'

/** Tables a database keeps versions of, at most, by default (about 10 MB of map at that size). */
export const MAX_TABLES = 100_000

/** Called with written names that have no expansion known (no catalog answer yet). */
export type ExpansionResolver = (database: string, tables: readonly string[]) => void

/** The versions of every database's tables. */
export class TableVersions {
  /** The version every table starts at in this process. */
  readonly base: number
  private last: number
  private readonly databases = new Map<string, Map<string, number>>()
  /** A database-wide floor: `bumpAll` raises it (a write whose tables are unknown). */
  private readonly floors = new Map<string, number>()
  /** Per database: a written name → the other relations a write to it changes (a view's tables). */
  private readonly expansions = new Map<string, Map<string, readonly string[]>>()
  private readonly bumpAllListeners: Array<(database: string) => void> = []
  /** Looks up names written with no expansion known (set by the relation catalog). */
  resolver?: ExpansionResolver

  constructor(
    now: () => number = Date.now,
    /** Tables per database before the per-table map is dropped for a raised floor. */
    readonly maxTables = MAX_TABLES,
  ) {
    this.now = now
    this.base = this.last = now() * 1000
  }

  private readonly now: () => number

  private next(): number {
    this.last = Math.max(this.last + 1, this.now() * 1000)
    return this.last
  }

  /** The newest version handed out: a version above it was bumped after this call. */
  get mark(): number {
    return this.last
  }

  /**
   * Bumps the named tables (`schema.table`) of `database` and what their expansions name; returns the
   * new version. `resolve`: hand names without an expansion to the {@link resolver}.
   */
  bump(database: string, tables: Iterable<string>, resolve = true): number {
    let db = this.databases.get(database)
    if (db === undefined) {
      db = new Map()
      this.databases.set(database, db)
    }
    const version = this.next()
    const expansion = this.expansions.get(database)
    let unknown: string[] | undefined // made only when needed: this runs at every routed write
    for (const table of tables) {
      db.set(table, version)
      const more = expansion?.get(table)
      if (more !== undefined) for (const t of more) db.set(t, version)
      else if (resolve && this.resolver !== undefined) {
        unknown ??= []
        unknown.push(table)
      }
    }
    if (db.size > this.maxTables) this.overflow(database, version)
    if (unknown !== undefined) this.resolver?.(database, unknown)
    return version
  }

  /** Bumps every table of `database`, named or not: a write whose tables are not known (DDL). */
  bumpAll(database: string): number {
    const version = this.next()
    this.floors.set(database, version)
    this.expansions.delete(database) // a view may have been redefined
    for (const listener of this.bumpAllListeners) listener(database)
    return version
  }

  /** Calls `listener(database)` at every {@link bumpAll} (the catalog forgets that database). */
  onBumpAll(listener: (database: string) => void): void {
    this.bumpAllListeners.push(listener)
  }

  /**
   * Records that a write to `table` also changes `also` (a view's base tables; `[]`: nothing more, a
   * plain table). Bounded like the versions: past {@link maxTables}, the database's map starts over.
   */
  expand(database: string, table: string, also: readonly string[]): void {
    let expansion = this.expansions.get(database)
    if (expansion === undefined) {
      expansion = new Map()
      this.expansions.set(database, expansion)
    }
    if (expansion.size >= this.maxTables && !expansion.has(table)) expansion.clear()
    expansion.set(table, also)
  }

  /** What {@link expand} recorded for `table`; undefined when nothing is known. */
  expansion(database: string, table: string): readonly string[] | undefined {
    return this.expansions.get(database)?.get(table)
  }

  /** Too many tables: drop their versions, the floor takes the newest (every entry looks older). */
  private overflow(database: string, version: number): void {
    this.databases.delete(database)
    this.floors.set(database, Math.max(version, this.floors.get(database) ?? this.base))
  }

  /** The version of one table. */
  version(database: string, table: string): number {
    const own = this.databases.get(database)?.get(table) ?? this.base
    return Math.max(own, this.floors.get(database) ?? this.base)
  }

  /** The versions of the named tables, as an object (`GET /versions`). */
  versions(database: string, tables: Iterable<string>): Record<string, number> {
    const out: Record<string, number> = {}
    for (const t of tables) out[t] = this.version(database, t)
    return out
  }

  /** Tables with a version of their own (for tests and SHOW). */
  tableCount(database: string): number {
    return this.databases.get(database)?.size ?? 0
  }
}

/** The gateway's one registry (pools of every config generation share it: a reload keeps versions). */
export const tableVersions = new TableVersions()
