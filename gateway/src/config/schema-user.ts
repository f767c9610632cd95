/**
 * The `[pools.<database>.users.<index>]` tables: who may log in to a pool and how
 * many server connections each user gets.
 */
import { z } from 'zod'
import { authTypeSchema, countSchema, msSchema, poolModeSchema } from './schema-common.js'

/** Schema of one `[pools.<database>.users.<index>]` table. */
export const userSchema = z.object({
  username: z
    .string()
    .min(1)
    .describe(
      'User name clients log in with; also used for server connections unless server_username is set.',
    ),
  password: z
    .string()
    .optional()
    .describe(
      'What clients must prove, and the server password unless server_password is set. Plaintext, or a stored secret: `md5<32 hex digits>` (works with md5 auth only) or `SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>` (scram-sha-256 only). Required unless the user authenticates with trust, or the pool has auth_query: a user without `password` then gets its secret from the server (see general.auth_query).',
    ),
  server_username: z
    .string()
    .min(1)
    .optional()
    .describe('User name for server connections, if it differs from username.'),
  server_password: z
    .string()
    .optional()
    .describe('Password for server connections, if it differs from password.'),
  pool_size: z
    .number()
    .int()
    .min(1)
    .default(9)
    .describe(
      'Most server connections this user may hold per server. The sum over all users is what Skiff can open to one server.',
    ),
  min_pool_size: countSchema()
    .default(0)
    .describe('Server connections kept open per server even when idle; at most pool_size.'),
  statement_timeout: msSchema()
    .default(0)
    .describe('Milliseconds a statement may run before Skiff cancels it; 0 disables.'),
  pool_mode: poolModeSchema.optional().describe("Overrides the pool's pool_mode for this user."),
  connect_timeout: msSchema().optional().describe('Overrides connect_timeout (milliseconds) for this user.'),
  idle_timeout: msSchema().optional().describe('Overrides idle_timeout (milliseconds) for this user.'),
  server_lifetime: msSchema().optional().describe('Overrides server_lifetime (milliseconds) for this user.'),
  auth_type: authTypeSchema
    .optional()
    .describe(
      'Overrides general.auth_type for this user: "scram-sha-256", "md5" or "trust". PgCat has md5 and trust here; scram-sha-256 is a Skiff addition.',
    ),
})

/** Parsed user table. */
export type UserConfig = z.output<typeof userSchema>
