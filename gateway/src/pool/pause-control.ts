/**
 * PAUSE and RESUME (admin console), as PgBouncer has them: PAUSE holds every new transaction of a
 * database (or of all of them) and completes once the transactions in flight there have finished;
 * held clients wait without a timeout, nothing fails; RESUME lets them go on. The state is kept per
 * database name, not per pool object, so pools a reload creates while paused are paused too.
 * @see https://www.pgbouncer.org/usage.html#pause-db
 * @module
 */
import type { UserPool } from './user-pool.js'

/** How often a PAUSE looks whether the transactions in flight have finished. */
const QUIESCE_POLL_MS = 20

/** Which databases are paused, and the wait for them to go quiet. */
export class PauseControl {
  /** PAUSE without a database: every database, present and future, except `resumed`. */
  private all = false
  private readonly resumed = new Set<string>()
  private readonly databases = new Set<string>()

  /** Whether `database` is paused; without one, whether every database is. */
  isPaused(database?: string): boolean {
    if (database === undefined) return this.all && this.resumed.size === 0
    return (this.all && !this.resumed.has(database)) || this.databases.has(database)
  }

  /**
   * Pauses `database` (every database when undefined) in `pools` and resolves once no server
   * connection of a paused pool is lent or awaited, or once a RESUME made the wait moot.
   */
  async pause(pools: () => Iterable<UserPool>, database?: string): Promise<void> {
    if (database === undefined) {
      this.all = true
      this.resumed.clear()
      this.databases.clear()
    } else {
      this.databases.add(database)
      this.resumed.delete(database)
    }
    this.apply(pools())
    while (!this.quiet(pools(), database)) await sleep(QUIESCE_POLL_MS)
  }

  /** Resumes `database` (every database when undefined): held clients go on at once. */
  resume(pools: Iterable<UserPool>, database?: string): void {
    if (database === undefined) {
      this.all = false
      this.resumed.clear()
      this.databases.clear()
    } else {
      this.databases.delete(database)
      if (this.all) this.resumed.add(database)
    }
    this.apply(pools)
  }

  /** Puts every server pool in the state its database is in (after a change, and after a reload). */
  apply(pools: Iterable<UserPool>): void {
    for (const pool of pools) {
      const paused = this.isPaused(pool.database)
      for (const sp of pool.serverPools()) paused ? sp.pause() : sp.resume()
    }
  }

  /** Every paused pool of `database` (or all) has nothing in flight; true too once none is paused. */
  private quiet(pools: Iterable<UserPool>, database?: string): boolean {
    for (const pool of pools) {
      if (database !== undefined && pool.database !== database) continue
      if (!this.isPaused(pool.database)) continue
      for (const sp of pool.serverPools()) if (!sp.quiescent) return false
    }
    return true
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
