/**
 * Cross-field rules for `[pools.<database>.users.<n>]`: unique names, sane pool sizes,
 * and a password that can actually check the login method the user is given.
 * Messages describe passwords by kind only, never by value.
 */
import { formatPath, type Report } from './schema-common.js'
import type { GeneralConfig } from './schema-general.js'
import type { PoolConfig } from './schema-pool.js'
import type { UserConfig } from './schema-user.js'

const MD5_SECRET = /^md5[0-9a-f]{32}$/i
const SCRAM_PREFIX = 'SCRAM-SHA-256$'
const SCRAM_SECRET = /^SCRAM-SHA-256\$[1-9]\d*:[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/

/** What a configured password is: the password itself, or a secret derived from it. */
export type PasswordKind = 'plaintext' | 'md5-secret' | 'scram-secret' | 'malformed-scram-secret'

/** Classifies a password the way PgBouncer does: a prefix plus the exact format marks a stored secret. */
export function passwordKind(password: string): PasswordKind {
  if (MD5_SECRET.test(password)) return 'md5-secret'
  if (password.startsWith(SCRAM_PREFIX))
    return SCRAM_SECRET.test(password) ? 'scram-secret' : 'malformed-scram-secret'
  return 'plaintext'
}

/** Checks the users of one pool; `path` is `['pools', <name>]`. */
export function checkUsers(path: string[], pool: PoolConfig, general: GeneralConfig, report: Report): void {
  const entries = Object.entries(pool.users)
  if (entries.length === 0) {
    report(
      [...path, 'users'],
      `no users; add a [${formatPath([...path, 'users', '0'])}] table with username and password`,
    )
  }
  const firstByName = new Map<string, string>()
  for (const [key, user] of entries) {
    const userPath = [...path, 'users', key]
    const first = firstByName.get(user.username)
    if (first === undefined) firstByName.set(user.username, key)
    else {
      report(
        [...userPath, 'username'],
        `"${user.username}" is already used by ${formatPath([...path, 'users', first])}; usernames must be unique within a pool`,
      )
    }
    if (user.min_pool_size > user.pool_size) {
      report(
        [...userPath, 'min_pool_size'],
        `${user.min_pool_size} is larger than pool_size (${user.pool_size}); lower min_pool_size or raise pool_size`,
      )
    }
    checkPassword(userPath, user, general, report, (pool.auth_query ?? general.auth_query) !== undefined)
  }
}

/** @param authQuery the pool has auth_query: a user without password gets its secret from there. */
function checkPassword(
  path: string[],
  user: UserConfig,
  general: GeneralConfig,
  report: Report,
  authQuery: boolean,
): void {
  const authType = user.auth_type ?? general.auth_type
  if (authType === 'trust' || (authQuery && user.password === undefined)) return
  const source = user.auth_type === undefined ? 'general.auth_type' : 'its auth_type'
  const where = [...path, 'password']
  if (user.password === undefined || user.password === '') {
    report(
      where,
      `${user.password === undefined ? 'missing' : 'empty'}; user "${user.username}" logs in with ${authType} (from ${source}), which needs a password. Set password, or auth_query for the pool, or auth_type = "trust"`,
    )
    return
  }
  const kind = passwordKind(user.password)
  if (kind === 'malformed-scram-secret') {
    report(
      where,
      'starts like a SCRAM-SHA-256 secret but is malformed; expected "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>"',
    )
  } else if (kind === 'md5-secret' && authType === 'scram-sha-256') {
    report(
      where,
      `an md5 secret cannot check scram-sha-256 logins (from ${source}); use the plaintext password or a SCRAM-SHA-256 secret, or set auth_type = "md5"`,
    )
  } else if (kind === 'scram-secret' && authType === 'md5') {
    report(
      where,
      `a SCRAM-SHA-256 secret cannot check md5 logins (from ${source}); use the plaintext password or an md5 secret, or set auth_type = "scram-sha-256"`,
    )
  }
}
