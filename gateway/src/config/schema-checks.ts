/**
 * Cross-field rules that a per-key schema cannot express. Each message names the key
 * path (through the issue path) and says how to fix the file. Messages never include
 * password values.
 */

import { checkHttp } from './schema-checks-http.js'
import { checkShards } from './schema-checks-shards.js'
import { checkUsers } from './schema-checks-users.js'
import { formatPath, type Report } from './schema-common.js'
import type { GeneralConfig } from './schema-general.js'
import type { HttpTable } from './schema-http.js'
import type { PoolConfig } from './schema-pool.js'
import { parseDefaultShard, parseKeyColumn } from './sharding-values.js'

/** Names PgCat (and PgBouncer) reserve for the admin database. */
const ADMIN_DATABASES = ['pgcat', 'pgbouncer']

/** Runs every cross-field rule over a config whose keys already have the right types. */
export function checkConfig(
  config: { general: GeneralConfig; pools: Record<string, PoolConfig>; http: HttpTable },
  report: Report,
): void {
  checkGeneral(config.general, report)
  checkHttp(config, report)
  if (Object.keys(config.pools).length === 0) {
    report(['pools'], 'no pools defined; add a [pools.<database>] table with at least one user and one shard')
  }
  for (const [name, pool] of Object.entries(config.pools)) {
    if (ADMIN_DATABASES.includes(name)) {
      report(
        ['pools', name],
        `"${name}" is the name of the admin database, so clients could never reach this pool; rename the table, e.g. [pools.${name}_app]`,
      )
    }
    checkRouting(name, pool, config.general, report)
    checkShards(['pools', name], pool, report)
    checkUsers(['pools', name], pool, config.general, report)
  }
}

function checkGeneral(general: GeneralConfig, report: Report): void {
  if (general.tls_certificate !== undefined && general.tls_private_key === undefined) {
    report(
      ['general', 'tls_private_key'],
      'required when tls_certificate is set; add the path of its private key',
    )
  }
  if (general.tls_private_key !== undefined && general.tls_certificate === undefined) {
    report(
      ['general', 'tls_certificate'],
      'required when tls_private_key is set; add the path of the certificate',
    )
  }
  checkServerTls(general, report)
  checkAuthQuery(['general'], general, report)
}

/**
 * Verification without TLS would never happen: an error, so a config never believes it checks
 * certificates it does not (PgCat ignores the key there).
 */
function checkServerTls(general: GeneralConfig, report: Report): void {
  if (general.verify_server_certificate && !general.server_tls) {
    report(
      ['general', 'verify_server_certificate'],
      'true, but server_tls is false, so there is no certificate to verify; set server_tls = true (or remove this key)',
    )
  }
  if (general.server_tls_ca_file !== undefined && !general.verify_server_certificate) {
    report(
      ['general', 'server_tls_ca_file'],
      'set, but verify_server_certificate is false, so no certificate is checked against it; set verify_server_certificate = true (and server_tls = true)',
    )
  }
}

type AuthQueryKeys = Pick<GeneralConfig, 'auth_query' | 'auth_query_user' | 'auth_query_password'>

/** auth_query is useless without credentials to run it with (pools inherit them from general). */
function checkAuthQuery(path: string[], keys: AuthQueryKeys, report: Report): void {
  if (keys.auth_query === undefined) return
  for (const key of ['auth_query_user', 'auth_query_password'] as const) {
    if (keys[key] === undefined) {
      report([...path, key], `required when auth_query is set; add ${key} (or remove auth_query)`)
    }
  }
}

function checkRouting(name: string, pool: PoolConfig, general: GeneralConfig, report: Report): void {
  const path = ['pools', name]
  if (pool.query_parser_read_write_splitting && !pool.query_parser_enabled) {
    report(
      [...path, 'query_parser_read_write_splitting'],
      'only works when query_parser_enabled = true; set query_parser_enabled = true or remove this key',
    )
  }
  checkShardingKeys(path, pool, report)
  checkDefaultShard(path, pool, report)
  // A pool inherits the auth_query credentials from [general], as in PgCat.
  checkAuthQuery(
    path,
    {
      auth_query: pool.auth_query,
      auth_query_user: pool.auth_query_user ?? general.auth_query_user,
      auth_query_password: pool.auth_query_password ?? general.auth_query_password,
    },
    report,
  )
}

/** The comment regexes must compile and the automatic key must be `table.column`. */
function checkShardingKeys(path: string[], pool: PoolConfig, report: Report): void {
  for (const key of ['sharding_key_regex', 'shard_id_regex'] as const) {
    const pattern = pool[key]
    const problem = pattern === undefined ? undefined : (regexProblem(pattern) ?? groupProblem(pattern))
    if (problem !== undefined) {
      report(
        [...path, key],
        `is not a valid regular expression (${problem}); fix the pattern or remove the key`,
      )
    }
  }
  const key = pool.automatic_sharding_key
  if (key !== undefined && parseKeyColumn(key) === undefined) {
    report(
      [...path, 'automatic_sharding_key'],
      `must name a table and a column as "table.column", got ${JSON.stringify(pool.automatic_sharding_key)}`,
    )
  }
}

function checkDefaultShard(path: string[], pool: PoolConfig, report: Report): void {
  const value = pool.default_shard
  const shard = parseDefaultShard(value)
  const where = [...path, 'default_shard']
  if (shard === undefined) {
    report(where, `expected "shard_<n>", "random" or "random_healthy", got ${JSON.stringify(value)}`)
    return
  }
  const count = Object.keys(pool.shards).length
  if (typeof shard === 'number' && count > 0 && shard >= count) {
    const range = count === 1 ? '1 shard (shard_0)' : `${count} shards (shard_0..shard_${count - 1})`
    report(where, `"${value}" does not exist; ${formatPath(path)} has ${range}`)
  }
}

/** The key or shard number is the first capture group: a pattern without one finds nothing. */
function groupProblem(pattern: string): string | undefined {
  const groups = new RegExp(`${pattern}|`).exec('')!.length - 1
  return groups === 0 ? 'it has no capture group; wrap the key or shard number in ( )' : undefined
}

/** Returns why `pattern` does not compile, or undefined when it does. */
function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern)
    return undefined
  } catch (error) {
    // V8 says "Invalid regular expression: /<pattern>/: <reason>"; keep only the reason.
    return String((error as Error).message)
      .split(': ')
      .at(-1)
  }
}
