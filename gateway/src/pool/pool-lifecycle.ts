/**
 * The pools over time: the registry's live pools, the ones a reload retired that still drain, the
 * connection budgets both share, and PAUSE/RESUME across all of them. The gateway's upkeep calls
 * {@link PoolLifecycle.maintain}; a reload calls {@link PoolLifecycle.retire} and
 * {@link PoolLifecycle.afterSwap}.
 * @module
 */
import { BudgetBook } from './connection-budget.js'
import { PauseControl } from './pause-control.js'
import type { PoolRegistry } from './pool-registry.js'
import { TableVersionFeeds } from './table-version-feeds.js'
import type { UserPool } from './user-pool.js'

/** Live and retired pools, their budgets and their pause state. */
export class PoolLifecycle {
  /** max_db_connections / max_user_connections budgets, shared by old and new pools across reloads. */
  readonly budgets = new BudgetBook()
  private readonly pauses = new PauseControl()
  /** Logical replication streams for `table_versions = "logical"` (issue 22). */
  readonly tableVersionFeeds = new TableVersionFeeds()
  /** Pools a reload replaced or removed, draining; closed by upkeep once empty. */
  private retired: UserPool[] = []

  /** `registry`: read when called, since the gateway builds it with {@link budgets}. */
  constructor(private readonly registry: () => PoolRegistry) {}

  /** The registry's pools and the retired ones still draining (PAUSE waits for both). */
  *every(): Iterable<UserPool> {
    yield* this.registry().userPools()
    yield* this.retired
  }

  /** A reload took these out of the registry: they drain (see ServerPool.retire). */
  retire(pools: readonly UserPool[]): void {
    for (const pool of pools) for (const sp of pool.serverPools()) sp.retire()
    this.retired.push(...pools)
  }

  /** After a registry swap: new pools of a paused database start paused. */
  afterSwap(): void {
    this.pauses.apply(this.every())
  }

  /** PAUSE (admin console): resolves once nothing of `database` (or of any) is in flight. */
  pause(database?: string): Promise<void> {
    return this.pauses.pause(() => this.every(), database)
  }

  resume(database?: string): void {
    this.pauses.resume(this.every(), database)
  }

  isPaused(database?: string): boolean {
    return this.pauses.isPaused(database)
  }

  /**
   * Upkeep: idle and lifetime expiry, min_pool_size, the table-version streams, and closing retired
   * pools once drained.
   */
  maintain(now = Date.now()): void {
    for (const pool of this.registry().userPools()) for (const sp of pool.serverPools()) sp.maintain(now)
    this.tableVersionFeeds.sync(this.registry().userPools())
    if (this.retired.length === 0) return
    // A client still listening through the old pool's listener keeps it (and its notifications) open.
    const drained = (pool: UserPool) => !pool.listening && [...pool.serverPools()].every((sp) => sp.drained)
    for (const pool of this.retired.filter(drained)) pool.close()
    this.retired = this.retired.filter((pool) => !drained(pool))
  }

  /** Closes every pool, retired ones included (shutdown). */
  closeAll(): void {
    this.tableVersionFeeds.closeAll()
    for (const pool of this.every()) pool.close()
    this.retired = []
  }
}
