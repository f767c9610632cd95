/**
 * Write-ahead log positions (LSNs): the `pg_lsn` text form (`16/B374D848`: the high and low 32 bits
 * in hex) to and from a bigint byte position, their order and distance, and the replay position that
 * proves a standby has everything a primary had inserted.
 * @see https://www.postgresql.org/docs/current/datatype-pg-lsn.html
 * @module
 */

/** A `pg_lsn` in text form: two groups of 1 to 8 hex digits. */
const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/

/**
 * The byte position `text` (`pg_lsn` output, e.g. `16/B374D848`) names, or undefined when it is not
 * an LSN.
 * @example parseLsn('16/B374D848') === 0x16_b374d848n
 */
export function parseLsn(text: string): bigint | undefined {
  const m = LSN_TEXT.exec(text)
  if (m === null) return undefined
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/**
 * `lsn` as Postgres prints a `pg_lsn` (`%X/%X`: upper-case hex, no leading zeros).
 * @example formatLsn(0x16_b374d848n) === '16/B374D848'
 */
export function formatLsn(lsn: bigint): string {
  const high = (lsn >> 32n).toString(16).toUpperCase()
  const low = (lsn & 0xffff_ffffn).toString(16).toUpperCase()
  return `${high}/${low}`
}

/** -1, 0 or 1 as `a` is before, at or after `b` (a sort comparator). */
export function compareLsn(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Bytes of WAL from `b` to `a` (negative when `a` is before `b`), as `pg_wal_lsn_diff(a, b)` says.
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-BACKUP-TABLE
 */
export function lsnDiff(a: bigint, b: bigint): bigint {
  return a - b
}

/** SizeOfXLogShortPHD: the header at the start of every WAL page but a segment's first (xlog_internal.h). */
const SHORT_PAGE_HEADER = 24n
/** SizeOfXLogLongPHD: the header of a segment's first page. */
const LONG_PAGE_HEADER = 40n
/** The smallest wal_segment_size (1 MB); every segment and page boundary is a multiple of it or divides it. */
const MIN_SEGMENT = 1n << 20n

/**
 * The least replay LSN (`pg_last_wal_replay_lsn()` on a standby) that proves every WAL record a
 * client could have waited for before `pg_current_wal_insert_lsn()` returned `insertLsn` on the
 * primary has been replayed: a standby whose replay LSN is at least this shows that client's commits.
 *
 * Why not `insertLsn` itself: the insert LSN points where the next record will start, which past a
 * page boundary is after the page's header, while a replay LSN is where the last record ended (the
 * boundary itself). An idle primary at the start of a segment reports `0/3000028` while its caught-up
 * standby reports `0/3000000`, and would look 40 bytes behind until the next record. So 24 bytes (a
 * short page header) come off, or 40 (a long one) when the position is just past a segment's header.
 *
 * Why that is still safe: a replay LSN is always a record's end; the only record that can end in the
 * bytes taken off is the last one, and a record shorter than 25 bytes carries no data (only a WAL
 * switch is that short), so every record a client waits for (a commit holds at least its timestamp:
 * 40 bytes aligned) either ends before the target or is the only one ending at or after it. Past a
 * 1 MB boundary (a segment start for the smallest wal_segment_size) nothing but a page header or the
 * tail of a record begun on the page before can lie in the first 40 bytes. The block and segment
 * sizes need not be known: the rule holds for every size Postgres can be built or initialized with.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/access/transam/xlog.c (XLogBytePosToRecPtr, XLogBytePosToEndRecPtr)
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE
 */
export function minReplayLsn(insertLsn: bigint): bigint {
  const header = insertLsn % MIN_SEGMENT === LONG_PAGE_HEADER ? LONG_PAGE_HEADER : SHORT_PAGE_HEADER
  return insertLsn > header ? insertLsn - header : 0n
}

/** True when a standby at `replayLsn` has replayed everything the primary had at `insertLsn`. */
export function replayedUpTo(replayLsn: bigint, insertLsn: bigint): boolean {
  return replayLsn >= minReplayLsn(insertLsn)
}
