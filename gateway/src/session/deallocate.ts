/**
 * Recognizes SQL `DEALLOCATE` so that, in transaction mode, it changes only the client's own view of
 * its protocol-level prepared statements instead of the shared server connection's.
 * @see https://www.postgresql.org/docs/current/sql-deallocate.html
 * @module
 */

const DEALLOCATE = /^\s*deallocate\s+(?:prepare\s+)?(?:(all)|"((?:[^"]|"")+)"|([a-z_][\w$]*))\s*;?\s*$/i

/** `{ all: true }`, `{ name }`, or undefined when `sql` is not a lone DEALLOCATE. */
export function parseDeallocate(sql: string): { all: true } | { name: string } | undefined {
  const m = DEALLOCATE.exec(sql)
  if (m === null) return undefined
  if (m[1] !== undefined) return { all: true }
  if (m[2] !== undefined) return { name: m[2].replaceAll('""', '"') }
  return { name: m[3]!.toLowerCase() } // unquoted identifiers fold to lower case
}

const DISCARD_ALL = /^\s*discard\s+all\s*;?\s*$/i

/** True when `sql` is a lone `DISCARD ALL` (which also deallocates every prepared statement). */
export function isDiscardAll(sql: string): boolean {
  return DISCARD_ALL.test(sql)
}

/** True when the text from `at` may be a DEALLOCATE or a DISCARD: its first non-blank byte is a `d` or `D`. */
export function mayBeDeallocate(buf: Uint8Array, at: number, end: number): boolean {
  while (at < end && (buf[at] === 0x20 || buf[at] === 0x0a || buf[at] === 0x09 || buf[at] === 0x0d)) at++
  return at < end && (buf[at]! | 0x20) === 0x64
}
