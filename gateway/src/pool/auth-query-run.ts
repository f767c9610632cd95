/**
 * Runs auth_query once: a short-lived connection as auth_query_user to the pool's primary, the query
 * with the user name in place of `$1`, the secret read from its one row, the connection closed.
 * @see https://www.pgbouncer.org/config.html#auth_query
 * @module
 */
import { InternalRowsQuery, type TextRows } from './internal-query.js'
import type { ServerAddress } from './server-address.js'
import type { ServerConnector } from './server-connector.js'

/** How long the connect and the query may take together. */
export const AUTH_QUERY_TIMEOUT_MS = 10_000

/**
 * A SQL string literal of `text`, safe with standard_conforming_strings on or off: an E'' literal
 * (backslashes doubled) when it holds a backslash.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS
 */
export function quoteLiteral(text: string): string {
  const body = text.replaceAll("'", "''")
  return text.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`
}

/**
 * The query with the user name as a literal in place of `$1`: PgCat writes it quoted (`'$1'`),
 * PgBouncer bare (`$1`, a parameter there); both forms are replaced, the quotes included.
 */
export function bindAuthQuery(query: string, username: string): string {
  const literal = quoteLiteral(username)
  return query.replace(/'\$1'|\$1(?![0-9])/g, () => literal)
}

/**
 * The secret in the query's answer: the second column of its first row (PgBouncer's and PgCat's
 * `usename, passwd`), or the only column; null for no row, NULL or an empty value.
 */
export function secretOf(rows: TextRows): string | null {
  const row = rows[0]
  if (row === undefined) return null
  const value = row.length >= 2 ? row[1] : row[0]
  return value === undefined || value === null || value === '' ? null : value
}

/**
 * Runs the query as `settings.user`; resolves to the secret (or null), rejects with a reason that names
 * neither the secret nor any password.
 */
export async function runAuthQuery(
  settings: { query: string; user: string; password: string },
  username: string,
  address: ServerAddress,
  connector: ServerConnector,
): Promise<string | null> {
  const login = {
    username: settings.user,
    password: settings.password,
    applicationName: 'skiff auth_query',
    statementTimeout: 0,
    connectTimeout: AUTH_QUERY_TIMEOUT_MS,
  }
  const server = await connector.connect(address, login)
  server.unref()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.close()
      reject(new Error(`no answer within ${AUTH_QUERY_TIMEOUT_MS} ms`))
    }, AUTH_QUERY_TIMEOUT_MS)
    const query = new InternalRowsQuery((error, rows) => {
      clearTimeout(timer)
      setImmediate(() => server.close()) // after the connection has finished reading this reply
      if (error !== undefined) reject(new Error(`the query failed: ${error}`))
      else resolve(secretOf(rows))
    })
    server.sendInternal(query, [bindAuthQuery(settings.query, username)])
  })
}
