/**
 * Skiff's configuration schema: the single source of truth for key names, types,
 * defaults, validation and the generated reference (docs/config.md).
 *
 * The file format is PgCat's pgcat.toml (`[general]`, `[pools.<db>]`,
 * `[pools.<db>.users.<n>]`, `[pools.<db>.shards.<n>]`), with the same key names and
 * defaults, so a PgCat config loads unchanged. Skiff's additions are marked as such.
 * @see https://github.com/postgresml/pgcat/blob/main/CONFIG.md
 */
import { z } from 'zod'
import { checkConfig } from './schema-checks.js'
import { type authTypes, later, type poolModes, type serverRoles } from './schema-common.js'
import { generalSchema } from './schema-general.js'
import { type HttpConfig, type HttpTable, httpSchema } from './schema-http.js'
import { poolSchema } from './schema-pool.js'

export { type GeneralConfig, generalSchema } from './schema-general.js'
export { type ApiTokenConfig, type HttpConfig, type HttpTable, httpSchema } from './schema-http.js'
export { type PoolConfig, poolSchema } from './schema-pool.js'
export { type MirrorConfig, type ServerConfig, type ShardConfig, shardSchema } from './schema-shard.js'
export { type UserConfig, userSchema } from './schema-user.js'

/**
 * The whole config file. Parse with `configSchema.safeParse(raw)`; for files prefer
 * `loadConfigFile()` / `parseConfigText()` in load.ts, which add readable errors and warnings.
 * @example
 * const config = configSchema.parse({ general: { admin_username: 'a', admin_password: 'b' }, pools: { ... } })
 */
export const configSchema = z
  .object({
    // Required, as in PgCat: admin_username and admin_password have no safe default.
    general: generalSchema.describe('Pooler-wide settings.'),
    pools: z
      .record(z.string(), poolSchema)
      .default({})
      .describe('One pool per database name that clients connect with; the table key is that name.'),
    http: httpSchema
      .prefault({})
      .describe(
        'Skiff addition (not in PgCat): the HTTP listener for `POST /sql` (Neon HTTP format) and Postgres over WebSocket.',
      ),
    plugins: later(
      z.record(z.string(), z.unknown()).optional(),
      'PgCat plugins applied to every pool (intercept, table_access, query_logger, prewarmer).',
    ),
  })
  .superRefine(
    (config, ctx) => {
      checkConfig(config, (path, message) => ctx.addIssue({ code: 'custom', path, message }))
    },
    // Cross-field rules assume every key has its declared type, so they wait until the types are right.
    { when: (payload) => payload.issues.length === 0 },
  )
  .transform(resolveHttpHost)

/**
 * The HTTP listener binds where the TCP listener does unless `[http]` names its own host, so a
 * config that keeps Skiff on 127.0.0.1 does not open HTTP on every interface.
 */
function resolveHttpHost<C extends { general: { host: string }; http: HttpTable }>(
  config: C,
): Omit<C, 'http'> & { http: HttpConfig } {
  return { ...config, http: { ...config.http, host: config.http.host ?? config.general.host } }
}

/** A parsed, validated config with every default applied. */
export type Config = z.output<typeof configSchema>
/** What a config file may contain before defaults are applied. */
export type ConfigInput = z.input<typeof configSchema>
/** Role of a server inside a shard. */
export type ServerRole = (typeof serverRoles)[number]
/** `transaction` lends a server per transaction; `session` per client connection. */
export type PoolMode = (typeof poolModes)[number]
/** How a client authenticates to Skiff. */
export type AuthType = (typeof authTypes)[number]
