/**
 * The keywords a name in a `ColId` position may not be. `ColId` (the grammar of LISTEN's and
 * UNLISTEN's channel, among many others) takes an identifier, an unreserved keyword or a col_name
 * keyword; the reserved keywords and the type_func_name keywords make the statement a syntax error
 * (`LISTEN select`, `LISTEN join`). Quoting lifts that: `LISTEN "select"` listens on `select`.
 *
 * The list is Postgres 15's (`pg_get_keywords()` categories R and T, checked against the running
 * server by `listen-command-postgres.test.ts`) plus `system_user`, reserved since Postgres 16. A word
 * that is reserved in some supported version only errs on the safe side: the caller then leaves the
 * statement to the server, which answers it as its own version does.
 * @see https://www.postgresql.org/docs/current/sql-keywords-appendix.html
 * @see https://github.com/postgres/postgres/blob/master/src/include/parser/kwlist.h
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/gram.y (ColId)
 * @module
 */

/** Reserved keywords (category R). */
const RESERVED = [
  ...['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case'],
  ...['cast', 'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date'],
  ...['current_role', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable'],
  ...['desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from'],
  ...['grant', 'group', 'having', 'in', 'initially', 'intersect', 'into', 'lateral', 'leading', 'limit'],
  ...['localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'placing'],
  ...['primary', 'references', 'returning', 'select', 'session_user', 'some', 'symmetric', 'table'],
  ...['then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where'],
  ...['window', 'with'],
  // Postgres 16 and later.
  'system_user',
]

/** Type and function name keywords (category T): not a ColId either. */
const TYPE_FUNC_NAME = [
  ...['authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze'],
  ...['full', 'ilike', 'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer'],
  ...['overlaps', 'right', 'similar', 'tablesample', 'verbose'],
]

/** Every word a ColId refuses, in lower case. */
export const NOT_COL_ID: ReadonlySet<string> = new Set([...RESERVED, ...TYPE_FUNC_NAME])

/**
 * True when the unquoted word `folded` (A-Z already folded to a-z, as Postgres compares keywords)
 * cannot stand as a ColId.
 */
export function isNotColId(folded: string): boolean {
  return NOT_COL_ID.has(folded)
}
