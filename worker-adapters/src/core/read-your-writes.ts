/**
 * Read-your-writes through the edge cache. A request carrying `Skiff-Lsn` (a client's bookmark, e.g.
 * after its transaction) asks for data that includes that position. Skiff echoes the position it
 * served a read at (at least the one the request carried) in `Skiff-Lsn`, and the entry keeps it: the
 * entry may then be served to any later request whose bookmark is not past it. An entry read without
 * a position is never served to a request that carries one.
 * @module
 */
import { lsnValue } from '@skiff/client-sdk'

/** True when an entry read at `entryLsn` may answer a request carrying `requestLsn` (null: none). */
export function coversBookmark(entryLsn: string | undefined, requestLsn: string | null): boolean {
  if (requestLsn === null) return true
  const want = lsnValue(requestLsn)
  const have = entryLsn === undefined ? undefined : lsnValue(entryLsn)
  return want !== undefined && have !== undefined && have >= want
}
