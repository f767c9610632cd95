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
  default_role: later(
    looseEnum(['any', 'replica', 'primary']).default('any'),
    'Where queries go when nothing else decides: "any" (primary and replicas), "replica" (replicas only) or "primary".',
  ),
  load_balancing_mode: later(
    looseEnum(['random', 'loc'], { least_outstanding_connections: 'loc' }).default('random'),
    'How a server is picked among candidates: "random", or "loc" (least outstanding connections).',
  ),
  query_parser_enabled: later(
    z.boolean().default(false),
    'Parse each statement so it can be routed by what it does (needed for read/write splitting).',
  ),
  query_parser_read_write_splitting: later(
    z.boolean().default(false),
    'Send statements that only read to replicas and everything else to the primary. Needs query_parser_enabled = true.',
  ),
  primary_reads_enabled: later(
    z.boolean().default(false),
    'Let the primary serve reads alongside the replicas when reads are load balanced.',
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
