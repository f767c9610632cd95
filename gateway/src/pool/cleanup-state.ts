/**
 * Session state that would leak from one client to the next through a shared server connection in
 * transaction mode, and the commands that clear it before the connection is reused.
 *
 * Most of it is seen for free in CommandComplete tags (the server already tells us a `SET` ran). Temp
 * tables, advisory locks and `set_config()` leave no telling tag, so the client's Query and Parse text
 * is scanned for a few keywords; a false positive only costs one cleanup command at check-in.
 * @see https://www.postgresql.org/docs/current/sql-discard.html (what DISCARD ALL covers)
 * @module
 */

/** Bit flags of state to clear. */
export const Cleanup = {
  Set: 1,
  Listen: 2,
  Prepare: 4,
  Cursor: 8,
  Temp: 16,
  Advisory: 32,
  /** Not state to clean: DEALLOCATE ALL or DISCARD ALL ran, so the server holds no prepared statements. */
  StatementsGone: 64,
  /** Not cleanable: the connection holds something under a client's own name; close it at check-in. */
  Discard: 128,
  /** Not state to clean: something may have gone (DROP, DISCARD, DEALLOCATE, CLOSE, UNLISTEN). */
  Released: 256,
} as const

/** Flags that call for a look at the server after the transaction (see session-probe.ts). */
export const STATE_HINTS = Cleanup.Listen | Cleanup.Prepare | Cleanup.Cursor | Cleanup.Temp | Cleanup.Advisory

const resetCommands: Array<[number, string]> = [
  [Cleanup.Set, 'RESET ALL'],
  [Cleanup.Set, 'SET SESSION AUTHORIZATION DEFAULT'],
  [Cleanup.Listen, 'UNLISTEN *'],
  [Cleanup.Prepare, 'DEALLOCATE ALL'],
  [Cleanup.Cursor, 'CLOSE ALL'],
  [Cleanup.Temp, 'DISCARD TEMP'],
  [Cleanup.Advisory, 'SELECT pg_advisory_unlock_all()'],
]

const NOTHING: readonly string[] = []

/** The commands that clear `flags`, each to be sent as its own Query (none may share a transaction). */
export function resetCommandsFor(flags: number): readonly string[] {
  if (flags === 0) return NOTHING // the common case, on every check-in: no allocation
  const out: string[] = []
  for (const [flag, sql] of resetCommands) if (flags & flag) out.push(sql)
  return out
}

function tagIs(buf: Buffer, at: number, end: number, word: string): boolean {
  if (end - at < word.length) return false
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word.charCodeAt(i)) return false
  const next = buf[at + word.length]
  return next === 0 || next === 0x20
}

/** Cleanup implied by one CommandComplete message `buf[start, end)`. Looks at most at a few bytes. */
export function cleanupFromTag(buf: Buffer, start: number, end: number): number {
  const at = start + 5
  switch (buf[at]) {
    case 0x53: // S
      return tagIs(buf, at, end, 'SET') ? Cleanup.Set : 0
    case 0x52: // R
      return tagIs(buf, at, end, 'RESET') ? Cleanup.Set : 0
    case 0x4c: // L
      return tagIs(buf, at, end, 'LISTEN') ? Cleanup.Listen : 0
    case 0x50: // P
      return tagIs(buf, at, end, 'PREPARE') ? Cleanup.Prepare : 0
    case 0x43: // C
      return tagIs(buf, at, end, 'CLOSE') ? Cleanup.Released : 0
    case 0x55: // U
      return tagIs(buf, at, end, 'UNLISTEN') ? Cleanup.Released : 0
    case 0x44: // D
      return fromDTag(buf, at, end)
    default:
      return 0
  }
}

function fromDTag(buf: Buffer, at: number, end: number): number {
  if (tagIs(buf, at, end, 'DECLARE')) return Cleanup.Cursor
  if (tagIs(buf, at, end, 'DISCARD ALL')) return Cleanup.StatementsGone | Cleanup.Set | Cleanup.Released
  if (tagIs(buf, at, end, 'DEALLOCATE ALL')) return Cleanup.StatementsGone | Cleanup.Released
  if (tagIs(buf, at, end, 'DROP') || tagIs(buf, at, end, 'DISCARD') || tagIs(buf, at, end, 'DEALLOCATE'))
    return Cleanup.Released
  return 0
}

/** Lower-cases ASCII letters only. */
const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b)

function matchesAt(buf: Buffer, i: number, word: string): boolean {
  for (let k = 1; k < word.length; k++) if (lower(buf[i + k]!) !== word.charCodeAt(k)) return false
  return true
}

/** Cleanup implied by statement text `buf[start, end)`: temp tables, advisory locks, set_config. */
export function cleanupFromText(buf: Buffer, start: number, end: number): number {
  let flags = 0
  for (let i = start; i < end - 3; i++) {
    const b = lower(buf[i]!)
    if (b === 0x74 && matchesAt(buf, i, 'temp'))
      flags |= Cleanup.Temp // t
    else if (b === 0x61 && end - i >= 8 && matchesAt(buf, i, 'advisory'))
      flags |= Cleanup.Advisory // a
    else if (b === 0x73 && end - i >= 10 && matchesAt(buf, i, 'set_config')) flags |= Cleanup.Set // s
  }
  return flags
}
