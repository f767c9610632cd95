/**
 * Read-your-writes bookmarks: the last `Skiff-Lsn` (a Postgres LSN, `16/B374D848`) a client received.
 * The client keeps the highest one and sends it with later requests; it is a plain string, so it can
 * travel between isolates (a cookie, a header) and seed another client.
 * @module
 */

/** An LSN as a number, or undefined when the text is not one. */
export function lsnValue(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim())
  return m === null ? undefined : (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/** The later of two bookmarks (either may be missing; an unreadable one loses). */
export function laterBookmark(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || lsnValue(a) === undefined) return b
  if (b === undefined || lsnValue(b) === undefined) return a
  return lsnValue(b)! > lsnValue(a)! ? b : a
}

/** The bookmark state one client and the clients derived from it share. */
export class BookmarkState {
  constructor(public lsn: string | undefined) {}

  /** Keeps `lsn` when it is later than the one held. */
  advance(lsn: string | undefined): void {
    this.lsn = laterBookmark(this.lsn, lsn)
  }
}
