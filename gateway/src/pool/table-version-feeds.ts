/**
 * Which logical replication streams for table versions run (table-version-replication.ts): one per
 * database whose pools say `table_versions = "logical"`, on the current primary of each of its shards,
 * logged in as the first such pool's user. The pool lifecycle's upkeep (every second) syncs them with
 * the live pools, so a reload that turns the mode on or off, or moves a primary, starts and stops
 * streams; shutdown closes them all.
 * @module
 */
import { describeAddress } from './server-address.js'
import { TableVersionReplication } from './table-version-replication.js'
import type { UserPool } from './user-pool.js'

/** The running streams, keyed by database and server. */
export class TableVersionFeeds {
  private readonly feeds = new Map<string, TableVersionReplication>()

  /** Starts the streams the pools want and stops the others. */
  sync(pools: Iterable<UserPool>): void {
    const wanted = new Map<string, () => TableVersionReplication>()
    for (const pool of pools) {
      if (pool.tableVersions !== 'logical') continue
      for (let shard = 0; shard < pool.shards.length; shard++) {
        const primary = pool.currentPrimary(shard)
        const key = `${pool.database}|${describeAddress(primary.address)}`
        if (!wanted.has(key))
          wanted.set(key, () => new TableVersionReplication(pool.database, primary.address, primary.login))
      }
    }
    for (const [key, feed] of this.feeds) {
      if (wanted.has(key)) continue
      feed.close()
      this.feeds.delete(key)
    }
    for (const [key, make] of wanted) {
      if (this.feeds.has(key)) continue
      const feed = make()
      this.feeds.set(key, feed)
      feed.start()
    }
  }

  /** The running streams (tests, SHOW). */
  all(): TableVersionReplication[] {
    return [...this.feeds.values()]
  }

  /** Stops every stream (shutdown). */
  closeAll(): void {
    for (const feed of this.feeds.values()) feed.close()
    this.feeds.clear()
  }
}
