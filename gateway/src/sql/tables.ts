/**
 * The relations a request names, for routing by table (sharding keys, table access rules): a second,
 * separate pass over the text, run only when a caller asks, so classifying stays cheap.
 *
 * A name counts where a relation must stand: after FROM (of a SELECT, UPDATE or DELETE at the same
 * parenthesis depth, so not `extract(x from y)` or `is distinct from`), JOIN, the first USING of a
 * DELETE or MERGE, INTO (INSERT, MERGE, SELECT … INTO), UPDATE and TABLE starting a statement, TABLE
 * anywhere (`create table`, `alter table`, `drop table a, b`, `grant … on table`), TRUNCATE, LOCK,
 * COPY and REFERENCES; the comma lists of FROM, USING, DROP TABLE, TRUNCATE and LOCK; and inside
 * parenthesized joins and subqueries. A name followed by `(` in a FROM list is a function
 * (`generate_series(…)`) and is left out, and so are the names a WITH list defines. Names come as
 * written: unquoted parts lower-cased, quoted parts exact, joined by `.`; each once, in order of
 * first appearance.
 *
 * Not read: CREATE INDEX … ON, VACUUM / ANALYZE lists, views and other objects named by DDL.
 * @module
 */
import { TableScan } from './table-scan.js'

const scan = new TableScan()

/**
 * The relations named in the SQL text `buf[start, end)` (a trailing NUL is fine), in order of first
 * appearance. A second pass over the text: call it only when the router needs tables.
 * @example statementTables(Buffer.from('select * from s.a join "B" on true'), 0, 33) // ['s.a', 'B']
 */
export function statementTables(
  buf: Uint8Array,
  start: number,
  end: number,
  standardConformingStrings = true,
): string[] {
  return scan.run(buf, start, end, standardConformingStrings)
}

/** {@link statementTables} of a string. */
export function sqlTables(text: string, standardConformingStrings = true): string[] {
  const buf = Buffer.from(text, 'utf8')
  return scan.run(buf, 0, buf.length, standardConformingStrings)
}
