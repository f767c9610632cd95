/**
 * SQL string literals the gateway writes into its own statements (a client's setting values, names).
 * @module
 */

/**
 * Quotes `value` as a string literal that reads the same whatever standard_conforming_strings is (a
 * client may turn it off, and the gateway's statement then runs on that client's server): a value
 * with a backslash is written as an E'' literal with backslashes doubled, as libpq's
 * PQescapeLiteral does.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE
 */
export function quoteLiteral(value: string): string {
  const quoted = value.replaceAll("'", "''")
  return value.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`
}
