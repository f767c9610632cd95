/**
 * max_db_connections and max_user_connections: a cap on server connections to one server shared by
 * several pools (every user of a database, every database of a user). A pool opens a connection only
 * when each of its budgets has room; when one is full, its clients wait, an idle connection of another
 * pool sharing the budget is closed to make room, and a connection that would go idle while another
 * pool waits for room is closed instead. So a busy pool takes connections from idle ones, as in
 * PgBouncer, and no pool starves while another only holds idle connections.
 * @see https://www.pgbouncer.org/config.html#max_db_connections
 * @module
 */

/** What a budget asks of the pools that share it (a ServerPool). */
export interface BudgetMember {
  /** Closes one idle connection to make room; false when it has none. */
  evictIdle(): boolean
  /** Room was made: open connections for the clients waiting, if every budget allows. */
  wake(): void
}

/** One shared cap. */
export class ConnectionBudget {
  /** Connections open or opening in every member. */
  used = 0
  /** Members that wanted a connection and found the budget full. */
  private readonly starving = new Set<BudgetMember>()
  private readonly members = new Set<BudgetMember>()

  constructor(
    /** For logs and errors: `max_db_connections of app on host:port`. */
    readonly name: string,
    /** 0: no limit (the budget then only counts). A reload may change it. */
    public limit: number,
  ) {}

  get full(): boolean {
    return this.limit > 0 && this.used >= this.limit
  }

  join(member: BudgetMember): void {
    this.members.add(member)
  }

  leave(member: BudgetMember): void {
    this.members.delete(member)
    this.starving.delete(member)
  }

  /** True when some member waits for room: a connection about to go idle should close instead. */
  get wanted(): boolean {
    return this.starving.size > 0
  }

  /**
   * `member` needs a connection and this budget is full: it is marked starving, and an idle connection
   * of another member is closed (its close calls {@link released}, which wakes the starving).
   */
  makeRoom(member: BudgetMember): void {
    this.starving.add(member)
    for (const other of this.members) if (other !== member && other.evictIdle()) return
  }

  /** `member` got its connection or has nobody waiting any more. */
  satisfied(member: BudgetMember): void {
    this.starving.delete(member)
  }

  /** A connection of a member closed (or failed to open): room for one starving member. */
  released(): void {
    this.used--
    for (const member of [...this.starving]) {
      if (this.full) return
      this.starving.delete(member)
      member.wake()
    }
  }
}

/** The budgets one server pool shares (none without limits: then every method is a length test). */
export class BudgetShares {
  private budgets: readonly ConnectionBudget[] = []

  constructor(private readonly member: BudgetMember) {}

  join(budgets: readonly ConnectionBudget[]): void {
    this.budgets = budgets
    for (const budget of budgets) budget.join(this.member)
  }

  /** Counts one connection about to open; false (and room asked for) when a budget is full. */
  take(): boolean {
    for (const budget of this.budgets) {
      if (!budget.full) continue
      budget.makeRoom(this.member)
      return false
    }
    for (const budget of this.budgets) budget.used++
    return true
  }

  /** One connection of the member closed or failed to open. */
  release(): void {
    for (const budget of this.budgets) budget.released()
  }

  /** Nobody waits in the member: does another pool wait for room (so an idle connection should close)? */
  giveWay(): boolean {
    let wanted = false
    for (const budget of this.budgets) {
      budget.satisfied(this.member)
      wanted ||= budget.wanted
    }
    return wanted
  }

  leave(): void {
    for (const budget of this.budgets) budget.leave(this.member)
  }
}

/**
 * The budgets by key, kept across reloads: pools a reload builds share the budget objects of the pools
 * they replace, so connections still open in a draining pool keep counting.
 */
export class BudgetBook {
  private readonly budgets = new Map<string, ConnectionBudget>()

  /** The budget of `key` with `limit` now (a reload may have changed it). */
  get(key: string, limit: number): ConnectionBudget {
    let budget = this.budgets.get(key)
    if (budget === undefined) {
      budget = new ConnectionBudget(key, limit)
      this.budgets.set(key, budget)
    }
    budget.limit = limit
    return budget
  }
}
