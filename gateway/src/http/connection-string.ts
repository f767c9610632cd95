/**
 * Reads the `Neon-Connection-String` header. Only the user, password, database and startup parameters
 * are used: the host is never dialled (the database name picks a configured pool), so no caller can
 * make Skiff reach a server its config does not name.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.2
 * @module
 */
import { GatewayError } from '../errors.js'

/** A parsed connection string. */
export interface ConnectionTarget {
  user: string
  /** Undefined when the string has none (an API token may stand in for it). */
  password?: string
  database: string
  /** Startup parameters from the query string, e.g. application_name. */
  params: Map<string, string>
}

/**
 * Client-side libpq settings that drivers leave in connection strings (Neon's come with
 * `sslmode=require&channel_binding=require`); they mean nothing to a server, so they are dropped.
 * @see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
 */
const CLIENT_SIDE_KEYS = new Set([
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'sslcrl',
  'sslpassword',
  'sslnegotiation',
  'channel_binding',
  'connect_timeout',
  'target_session_attrs',
  'gssencmode',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'load_balance_hosts',
])

function bad(message: string, hint?: string): GatewayError {
  return new GatewayError('BAD_REQUEST', message, { hint })
}

const EXAMPLE = 'postgresql://user:password@host/database'

/**
 * Parses the header value; errors never echo it, since it holds a password. Every decoded part is
 * checked before it can reach a StartupMessage (see {@link checkName}, {@link checkValue}).
 */
export function parseConnectionString(value: string | undefined): ConnectionTarget {
  if (value === undefined || value === '') {
    throw bad('missing Neon-Connection-String header', `send the connection string, e.g. ${EXAMPLE}`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad('invalid header: neon-connection-string is not a URL', `use the form ${EXAMPLE}`)
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw bad(
      `incorrect scheme "${url.protocol}" in the connection string`,
      'use postgres:// or postgresql://',
    )
  }
  const user = checkName(decode(url.username, 'user name'), 'user name')
  if (user === '') throw bad('missing username in the connection string', `use the form ${EXAMPLE}`)
  const password = url.password === '' ? undefined : checkValue(decode(url.password, 'password'), 'password')
  const path = url.pathname.replace(/^\//, '').split('/')[0] ?? ''
  const database = checkName(decode(path, 'database name'), 'database name') || user
  return { user, password, database, params: startupParams(url.searchParams) }
}

/**
 * A NUL ends a protocol string: decoded from `%00`, it would split the StartupMessage into further
 * fields (`appdb%00user%00other` logging in as `other`). Nothing else can be checked for values: a
 * password or a parameter value may hold any other byte, as in Postgres.
 */
function checkValue(text: string, what: string): string {
  if (text.includes('\0')) throw bad(`the ${what} in the connection string contains a NUL byte (%00)`)
  return text
}

/**
 * Names (user, database, parameter) take no control characters either: Postgres would carry them,
 * but no configured name holds one, and in a name they serve only to forge log lines.
 */
function checkName(text: string, what: string): string {
  checkValue(text, what)
  if (hasControlCharacter(text))
    throw bad(`the ${what} in the connection string contains a control character (%01 to %1F, %7F)`)
  return text
}

/** Whether `text` holds a C0 control character or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw bad(`the ${what} in the connection string is not valid percent-encoding`)
  }
}

/** The login's own fields: as query parameters they would compete with the URL's user and path. */
const LOGIN_KEYS = new Set(['user', 'database', 'dbname', 'password'])

function startupParams(search: URLSearchParams): Map<string, string> {
  const params = new Map<string, string>()
  for (const [key, value] of search) {
    checkName(key, 'name of a query parameter')
    if (CLIENT_SIDE_KEYS.has(key)) continue
    if (LOGIN_KEYS.has(key))
      throw bad(`the connection string sets "${key}" as a query parameter`, `use the form ${EXAMPLE}`)
    // Neon routes on `options=endpoint=<id>`; the database name does that here.
    if (key === 'options' && /^\s*(endpoint|project)[=%]/.test(value)) continue
    if (params.has(key)) throw bad(`the connection string sets "${key}" more than once`)
    params.set(key, checkValue(value, `value of "${key}"`))
  }
  return params
}
