/**
 * `[pools.<database>]` keys that PgCat has and Skiff accepts but does not act on yet.
 * Move a key to schema-pool.ts when it is implemented.
 */
import { z } from 'zod'
import { countSchema, later, msSchema } from './schema-common.js'

/** Shape fragment merged into the pool schema. */
export const poolCompatShape = {
  query_parser_max_length: later(
    z.number().int().min(1).optional(),
    'Statements longer than this many characters are not parsed; unset means no limit.',
  ),
  cleanup_server_connections: later(
    z.boolean().default(true),
    'Reset session state that a client changed (SET and friends) before the server connection is reused.',
  ),
  log_client_parameter_status_changes: later(
    z.boolean().default(false),
    'Log when a client changes a server parameter.',
  ),
  db_activity_based_routing: later(
    z.boolean().default(false),
    'Experimental in PgCat. Send reads of a recently written table to the primary.',
  ),
  db_activity_init_delay: later(
    msSchema().default(100),
    'Milliseconds before activity-based routing starts checking.',
  ),
  db_activity_ttl: later(
    countSchema().default(900),
    'Seconds without queries after which a database counts as inactive.',
  ),
  table_mutation_cache_ms_ttl: later(
    msSchema().default(50),
    'Milliseconds after a write during which reads of that table go to the primary.',
  ),
  plugins: later(
    z.record(z.string(), z.unknown()).optional(),
    'PgCat plugins for this pool (intercept, table_access, query_logger, prewarmer).',
  ),
}
