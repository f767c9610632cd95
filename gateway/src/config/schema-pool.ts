/**
 * The `[pools.<database>]` tables: one per database name clients connect to, with its
 * routing and sharding settings, its users and its shards.
 */
import { z } from 'zod'
import { countSchema, later, looseEnum, msSchema, poolModeSchema } from './schema-common.js'
import { poolCompatShape } from './schema-pool-compat.js'
import { shardSchema } from './schema-shard.js'
import { userSchema } from './schema-user.js'

/** Schema of one `[pools.<database>]` table. */
export const poolSchema = z.object({
  pool_mode: poolModeSchema
    .default('transaction')
    .describe(
      '"transaction": a server connection is lent for one transaction. "session": a client keeps one server connection until it disconnects.',
    ),
  default_role: looseEnum(['any', 'replica', 'primary'])
    .default('any')
    .describe(
      'Where statements go when the query parser does not split them: "any" (reads spread over the primary and the replicas), "replica" (reads to the replicas) or "primary". A statement that may write always goes to the primary, whatever the role.',
    ),
  load_balancing_mode: looseEnum(['random', 'loc'], { least_outstanding_connections: 'loc' })
    .default('random')
    .describe(
      'How a server is picked among the candidates for a read: "random" (weighted by each server\'s weight), or "loc" (least outstanding connections: the one with the fewest connections lent, ties broken at random).',
    ),
  query_parser_enabled: z
    .boolean()
    .default(false)
    .describe(
      'Read each statement so it can be routed by what it does. Skiff classifies with a byte tokenizer and a cache of statement shapes, never a full parse per query.',
    ),
  query_parser_read_write_splitting: z
    .boolean()
    .default(false)
    .describe(
      'With query_parser_enabled: statements that only read go to the replicas, everything else (writes, DDL, SELECT … FOR UPDATE, writable CTEs, nextval() and other primary-only functions, anything not known to read) to the primary.',
    ),
  primary_reads_enabled: z
    .boolean()
    .default(false)
    .describe(
      'With read/write splitting: the primary serves reads too, alongside the replicas. Off: reads reach the primary only when no replica is healthy.',
    ),
  sharding_function: later(
    looseEnum(['pg_bigint_hash', 'sha1']).default('pg_bigint_hash'),
    'How a sharding key picks a shard: "pg_bigint_hash" (same as Postgres PARTITION BY HASH on a bigint) or "sha1".',
  ),
  sharding_key_regex: later(
    z.string().min(1).optional(),
    'Regex with one capture group that finds a sharding key in a statement comment, e.g. `/\\* sharding_key: (\\d+) \\*/`.',
  ),
  shard_id_regex: later(
    z.string().min(1).optional(),
    'Regex with one capture group that finds a shard number in a statement comment, e.g. `/\\* shard_id: (\\d+) \\*/`.',
  ),
  regex_search_limit: later(
    countSchema().default(1000),
    'How many leading characters of a statement the two regexes above search.',
  ),
  automatic_sharding_key: later(
    z.string().min(1).optional(),
    'Experimental in PgCat. "table.column" whose value in WHERE or INSERT picks the shard automatically.',
  ),
  default_shard: later(
    z.string().default('shard_0'),
    'Shard used when a statement names none: `"shard_<n>"` (n below the shard count), "random", or "random_healthy" (random, avoiding shards with recent errors).',
  ),
  read_your_writes: z
    .boolean()
    .default(false)
    .describe(
      "Beyond PgCat: after a client's write commits, its reads go only to replicas that have replayed that commit (else to the primary). Over HTTP the commit's LSN comes back in the Skiff-Lsn header and a request carrying it gets the same guarantee.",
    ),
  max_replica_lag_ms: msSchema()
    .optional()
    .describe(
      'Beyond PgCat: a replica whose replay is more than this many milliseconds behind is skipped for reads until it catches up (checked every general.healthcheck_interval). Unset: no limit.',
    ),
  max_replica_lag_bytes: countSchema()
    .optional()
    .describe(
      "Beyond PgCat: a replica whose replay is more than this many bytes of WAL behind the primary's is skipped for reads until it catches up. Unset: no limit.",
    ),
  idle_timeout: msSchema()
    .optional()
    .describe('Overrides general.idle_timeout (milliseconds) for this pool.'),
  connect_timeout: msSchema()
    .optional()
    .describe('Overrides general.connect_timeout (milliseconds) for this pool.'),
  server_lifetime: msSchema()
    .optional()
    .describe('Overrides general.server_lifetime (milliseconds) for this pool.'),
  checkout_failure_limit: later(
    countSchema().default(0),
    'Failed attempts to get a server connection after which a client is disconnected; 0 disables.',
  ),
  prepared_statements_cache_size: countSchema()
    .optional()
    .describe('Overrides general.prepared_statements_cache_size for this pool (PgCat reads it here).'),
  ...poolCompatShape,
  users: z
    .record(z.string(), userSchema)
    .default({})
    .describe('Users allowed to log in to this pool. Each table is keyed by an index: "0", "1", ...'),
  shards: z
    .record(z.string(), shardSchema)
    .default({})
    .describe('Shards of this pool, numbered 0, 1, 2, ... without gaps.'),
})

/** Parsed pool table. */
export type PoolConfig = z.output<typeof poolSchema>
