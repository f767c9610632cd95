/**
 * Cross-field rules of the `[http]` table: listeners that would collide, and API tokens that name users
 * or databases the config does not have (a token must never open a door config does not name).
 */
import type { Report } from './schema-common.js'
import type { GeneralConfig } from './schema-general.js'
import type { HttpTable } from './schema-http.js'
import type { PoolConfig } from './schema-pool.js'

/** Checks `[http]` against `[general]` and the pools. */
export function checkHttp(
  config: { general: GeneralConfig; pools: Record<string, PoolConfig>; http: HttpTable },
  report: Report,
): void {
  const { http, general } = config
  if (!http.enabled) return
  if (http.port !== 0 && http.port === general.port) {
    report(
      ['http', 'port'],
      `${http.port} is also general.port (the TCP listener); pick another port, e.g. 8080`,
    )
  }
  for (const [key, other] of [
    ['tls_certificate', 'tls_private_key'],
    ['tls_private_key', 'tls_certificate'],
  ] as const) {
    if (http[key] !== undefined && http[other] === undefined)
      report(['http', other], `required when http.${key} is set; add its path (or remove http.${key})`)
  }
  const seen = new Set<string>()
  http.api_tokens.forEach((entry, i) => {
    if (seen.has(entry.token))
      report(['http', 'api_tokens', i, 'token'], 'the same token appears twice; make each token unique')
    seen.add(entry.token)
    checkTokenTarget(config.pools, entry.username, entry.database, (message) =>
      report(['http', 'api_tokens', i], message),
    )
  })
  if (http.require_api_token && http.api_tokens.length === 0) {
    report(
      ['http', 'require_api_token'],
      'true, but no [[http.api_tokens]] are defined; add one or set it to false',
    )
  }
}

function checkTokenTarget(
  pools: Record<string, PoolConfig>,
  username: string,
  database: string | undefined,
  report: (message: string) => void,
): void {
  if (database !== undefined && pools[database] === undefined) {
    return report(
      `database "${database}" is not a configured pool; use one of: ${Object.keys(pools).join(', ')}`,
    )
  }
  const candidates = database !== undefined ? [pools[database]!] : Object.values(pools)
  const known = candidates.some((pool) => Object.values(pool.users).some((u) => u.username === username))
  if (!known) {
    report(
      `user "${username}" is not a user of ${database !== undefined ? `pool "${database}"` : 'any pool'}; add it under [pools.<database>.users.<n>] or fix the name`,
    )
  }
}
