/**
 * A pool's sharding settings as the router reads them, resolved once from the config
 * (`sharding_function`, `automatic_sharding_key`, the comment regexes, `default_shard`,
 * `cross_shard_reads`). See router/shard-target.ts for what they mean and in which order they apply.
 * @see ../../../shared/reference/pgcat.md (sharding)
 * @module
 */

import type { DefaultShard, ShardingKeyColumn } from '../config/sharding-values.js'

export type { DefaultShard, ShardingKeyColumn } from '../config/sharding-values.js'

/** How a sharding key picks a shard: PgCat's two functions. */
export type ShardingFunction = 'pg_bigint_hash' | 'sha1'

/** Everything the router needs to pick a shard. */
export interface PoolSharding {
  readonly fn: ShardingFunction
  readonly automaticKey?: ShardingKeyColumn
  /** `sharding_key_regex` / `shard_id_regex`: the first capture group is the key or shard number. */
  readonly keyRegex?: RegExp
  readonly shardIdRegex?: RegExp
  /** `regex_search_limit`: characters of the statement the regexes read. */
  readonly regexSearchLimit: number
  readonly defaultShard: DefaultShard
  /** `cross_shard_reads`: a read that names no shard runs on every shard, results merged. */
  readonly crossShardReads: boolean
}

/** A pool of one shard, and pools built by hand in tests. */
export const UNSHARDED: PoolSharding = {
  fn: 'pg_bigint_hash',
  regexSearchLimit: 1000,
  defaultShard: 0,
  crossShardReads: false,
}
