/**
 * The live set of (database, user) pools, looked up by sessions at login and again for each
 * transaction. A reload builds a new set and swaps it in here: sessions pick up the new pools at their
 * next transaction without being dropped, and the caller drains and closes the old ones.
 * @module
 */
import type { ClientAuthMethod } from '../auth/client-auth.js'
import type { UserPool } from './user-pool.js'

/** database → username → pool. */
export type PoolMap = Map<string, Map<string, UserPool>>

/** Outcome of looking up the pool for a login. */
export type PoolLookup =
  | { kind: 'found'; pool: UserPool }
  | { kind: 'unknown-database' }
  /** The database exists but the user does not: authenticate against nothing, then fail. */
  | { kind: 'unknown-user'; authMethod: Exclude<ClientAuthMethod, 'password' | 'ignore-password'> }

/** The pools clients can reach now. */
export class PoolRegistry {
  /**
   * Bumped by every swap, so a session can keep its pool between transactions and look it up again
   * only after a reload (a number compare instead of two map lookups per transaction).
   */
  version = 0

  constructor(
    private pools: PoolMap,
    /** The auth method asked of unknown users (general.auth_type), so they cannot be told apart. */
    private defaultAuthMethod: Exclude<ClientAuthMethod, 'password' | 'ignore-password'>,
  ) {}

  /** The pool a login asks for, or why there is none. */
  lookup(database: string, username: string): PoolLookup {
    const users = this.pools.get(database)
    if (users === undefined) return { kind: 'unknown-database' }
    const pool = users.get(username)
    if (pool !== undefined) return { kind: 'found', pool }
    return { kind: 'unknown-user', authMethod: this.defaultAuthMethod }
  }

  /** The current pool of a (database, user) pair; undefined once a reload removed it. */
  get(database: string, username: string): UserPool | undefined {
    return this.pools.get(database)?.get(username)
  }

  /**
   * Puts a new set of pools in place and returns the old set. Sessions move to the new pools at their
   * next transaction; closing the old ones (after their clients leave) is the caller's choice.
   */
  swap(pools: PoolMap, defaultAuthMethod = this.defaultAuthMethod): PoolMap {
    const old = this.pools
    this.pools = pools
    this.defaultAuthMethod = defaultAuthMethod
    this.version++
    return old
  }

  /** The pools as they are now (a reload plans its swap from them). */
  map(): PoolMap {
    return this.pools
  }

  /** Every (database, user) pool. */
  *userPools(): Iterable<UserPool> {
    for (const users of this.pools.values()) yield* users.values()
  }
}
