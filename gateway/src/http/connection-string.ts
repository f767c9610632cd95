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

/** Parses the header value; errors never echo it, since it holds a password. */
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
  const user = decode(url.username, 'user name')
  if (user === '') throw bad('missing username in the connection string', `use the form ${EXAMPLE}`)
  const password = url.password === '' ? undefined : decode(url.password, 'password')
  const database = decode(url.pathname.replace(/^\//, '').split('/')[0] ?? '', 'database name') || user
  return { user, password, database, params: startupParams(url.searchParams) }
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw bad(`the ${what} in the connection string is not valid percent-encoding`)
  }
}

function startupParams(search: URLSearchParams): Map<string, string> {
  const params = new Map<string, string>()
  for (const [key, value] of search) {
    if (CLIENT_SIDE_KEYS.has(key)) continue
    // Neon routes on `options=endpoint=<id>`; the database name does that here.
    if (key === 'options' && /^\s*(endpoint|project)[=%]/.test(value)) continue
    params.set(key, value)
  }
  return params
}
