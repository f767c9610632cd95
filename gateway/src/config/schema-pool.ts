/**
 * The `[pools.<database>]` tables: one per database name clients connect to, with its
 * routing and sharding settings, its users and its shards.
 */
import { z } from 'zod'
import { poolAuthQueryShape } from './schema-auth-query.js'
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
  sharding_function: looseEnum(['pg_bigint_hash', 'sha1'])
    .default('pg_bigint_hash')
    .describe(
      'How a sharding key picks a shard: "pg_bigint_hash" (the hash Postgres uses for PARTITION BY HASH on one bigint column: the row of key k is on the shard Postgres would put it in, with MODULUS = the shard count) or "sha1" (PgCat\'s: SHA-1 of the key\'s decimal text).',
    ),
  sharding_key_regex: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Regex (JavaScript syntax) with one capture group that finds a sharding key in the statement text, e.g. `/\\* sharding_key: (\\d+) \\*/`; the key picks the shard of that statement's transaction.",
    ),
  shard_id_regex: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Regex (JavaScript syntax) with one capture group that finds a shard number in the statement text, e.g. `/\\* shard_id: (\\d+) \\*/`. Takes precedence over sharding_key_regex.',
    ),
  regex_search_limit: countSchema()
    .default(1000)
    .describe('How many leading characters of a statement the two regexes above search.'),
  automatic_sharding_key: z
    .string()
    .min(1)
    .optional()
    .describe(
      '"table.column": the sharding key is read from each statement: `WHERE column = <value or $n>` (also `table.column`, through an alias, ANDed with other conditions), `column IN (…)` with every value on one shard, and the column\'s values in `INSERT INTO table (…) VALUES (…)`. Bind parameters are read for extended-protocol statements. Takes precedence over the comment regexes and SET SHARD / SET SHARDING KEY.',
    ),
  default_shard: z
    .string()
    .default('shard_0')
    .describe(
      'Where a read that names no shard goes (when cross_shard_reads is off): `"shard_<n>"` (n below the shard count), "random", or "random_healthy" (random among shards whose primary is not banned). A write that names no shard in a pool of several shards is refused, never sent to a default.',
    ),
  cross_shard_reads: z
    .boolean()
    .default(false)
    .describe(
      'Beyond PgCat: a read-only SELECT that names no shard runs on every shard at once and the client gets one result, as from one database (ORDER BY merged, LIMIT/OFFSET after the merge, count/sum/min/max/avg/bool_and/bool_or and GROUP BY combined, DISTINCT). What cannot be combined exactly is refused with an error. Simple query protocol only.',
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
  max_db_connections: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Overrides general.max_db_connections for this database (0: no limit).'),
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
  table_versions: looseEnum(['off', 'routed', 'logical'])
    .default('routed')
    .describe(
      'Beyond PgCat (issue 22, the edge read cache): how Skiff keeps a version per table, returned in the Skiff-Table-Versions header of POST /sql and by GET /versions. "routed": bumped by every write Skiff routes (TCP, WebSocket, HTTP; at COMMIT inside a transaction). "logical": also by every change read from logical replication, so writes that bypass Skiff count too: the publication skiff_table_versions must exist in the database (create it, e.g. FOR TABLE a, b; Skiff never creates it, since while a FOR ALL TABLES publication exists Postgres refuses UPDATE and DELETE on tables without a replica identity), and Skiff makes a temporary pgoutput slot on the current primary of each shard (needs wal_level = logical and the pool\'s first user with REPLICATION). "off": no bumps, no Skiff-Table-Versions, and GET /versions answers 0A000. The default is "routed": the targets of a write are cached by statement shape, and TPC-B measured 1.02-1.07x Skiff CPU per transaction against a gateway without versions (bench:ab, both orders).',
    ),
  prepared_statements_cache_size: countSchema()
    .optional()
    .describe('Overrides general.prepared_statements_cache_size for this pool (PgCat reads it here).'),
  ...poolAuthQueryShape,
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
