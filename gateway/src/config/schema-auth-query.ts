/**
 * The auth_query keys, in `[general]` and (overriding them) in `[pools.<database>]`: users listed
 * without a password get their secret from the server.
 * @see https://www.pgbouncer.org/config.html#auth_query
 */
import { z } from 'zod'

const QUERY =
  "Query that fetches the secret of a user listed without `password`: `$1` (or PgCat's quoted `'$1'`) is replaced by the user name as a SQL literal, and the second column of the first row (or the only column) is the secret, e.g. \"SELECT usename, passwd FROM pg_shadow WHERE usename = $1\". It runs on the primary of shard 0, in the shard's database, over a short-lived connection as auth_query_user. An md5 secret lets clients log in with md5 and server connections answer md5; a SCRAM-SHA-256 secret lets clients log in with SCRAM, and server connections log in with the keys the first client's SCRAM proof reveals (as PgBouncer does), so they open only after one such login. No row, NULL or an empty value: the login fails as for an unknown user (28P01). Secrets are cached for 60 s; a failed login or a server refusing the login fetches again."

/** Shape fragment of `[general]`: pools inherit these. */
export const generalAuthQueryShape = {
  auth_query: z.string().min(1).optional().describe(`${QUERY} Pools inherit it.`),
  auth_query_user: z
    .string()
    .min(1)
    .optional()
    .describe(
      "User Skiff logs in as to run auth_query; it must be able to read the secrets (a superuser, or a SECURITY DEFINER function over pg_authid, as in PgBouncer's docs). Pools inherit it.",
    ),
  auth_query_password: z
    .string()
    .optional()
    .describe('Password of auth_query_user. Pools inherit it; never logged.'),
}

/** Shape fragment of `[pools.<database>]`. */
export const poolAuthQueryShape = {
  auth_query: z
    .string()
    .min(1)
    .optional()
    .describe('Overrides general.auth_query for this pool (see there).'),
  auth_query_user: z.string().min(1).optional().describe('Overrides general.auth_query_user for this pool.'),
  auth_query_password: z.string().optional().describe('Overrides general.auth_query_password for this pool.'),
}
