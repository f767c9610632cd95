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
 * @module
 */

/** How a pool keeps its tables' versions (`[pools.X] table_versions`). */
export type TableVersionsMode = 'off' | 'routed' | 'logical'

/** The versions of every database's tables. */
export class TableVersions {
  /** The version every table starts at in this process. */
  readonly base: number
  private last: number
  private readonly databases = new Map<string, Map<string, number>>()
  /** A database-wide floor: `bumpAll` raises it (a write whose tables are unknown). */
  private readonly floors = new Map<string, number>()

  constructor(now: () => number = Date.now) {
    this.now = now
    this.base = this.last = now() * 1000
  }

  private readonly now: () => number

  private next(): number {
    this.last = Math.max(this.last + 1, this.now() * 1000)
    return this.last
  }

  /** Bumps the named tables (`schema.table`) of `database`; returns the new version. */
  bump(database: string, tables: Iterable<string>): number {
    let db = this.databases.get(database)
    if (db === undefined) {
      db = new Map()
      this.databases.set(database, db)
    }
    const version = this.next()
    for (const table of tables) db.set(table, version)
    return version
  }

  /** Bumps every table of `database`, named or not: a write whose tables are not known. */
  bumpAll(database: string): number {
    const version = this.next()
    this.floors.set(database, version)
    return version
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
