/**
 * What the server monitor asks a server at each interval, and what it makes of the answer: whether the
 * server is in recovery, how far its WAL has come, and how far behind its primary a read on it may be.
 *
 * One statement serves a primary and a standby alike, so the monitor need not know which it talks to
 * (after a failover it may be either):
 * - `pg_is_in_recovery()` once, in a subquery (a volatile function there is not pulled up, so every
 *   column sees the same answer even while the server is being promoted);
 * - on a standby `pg_last_wal_replay_lsn()`, the end of the last record replayed (what a read sees);
 *   on a primary `pg_current_wal_insert_lsn()`, not `pg_current_wal_lsn()`: with
 *   `synchronous_commit = off` a commit returns before its record is written, and the write LSN stays
 *   behind it (measured: 0/3000000 after five commits up to 0/30012C8), so a standby could reach the
 *   write LSN without the client's commit. Compare the two with `replayedUpTo` (lsn.ts);
 * - the lag: 0 on a primary and on a standby that replayed all the WAL it received (an idle primary's
 *   standby); else the age of the last transaction replayed. Functions are schema-qualified, as the
 *   health check's are, so nothing on a user's search_path answers instead.
 *
 * The age alone overstates the lag after a quiet spell: a standby holding back one commit (say under
 * `recovery_min_apply_delay`) shows the time since the commit before it, which may be minutes old
 * (measured: 5.5 s, 0.5 s after a write that followed 5 s of quiet). {@link boundLag} caps it by the
 * time since the monitor last saw the standby caught up: anything not replayed now arrived after that.
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE
 * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-BACKUP-TABLE
 * @module
 */
import type { TextRows } from './internal-query.js'
import { parseLsn } from './lsn.js'

/** The monitor's statement: (in recovery, replay or insert LSN, lag in ms or NULL when unknown). */
export const READING_SQL = [
  'SELECT r,',
  'CASE WHEN r THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_insert_lsn() END,',
  'CASE WHEN NOT r OR pg_catalog.pg_last_wal_receive_lsn() <= pg_catalog.pg_last_wal_replay_lsn() THEN 0',
  'ELSE GREATEST(0, pg_catalog.round(1000 * extract(epoch FROM',
  'pg_catalog.now() - pg_catalog.pg_last_xact_replay_timestamp()))) END',
  'FROM (SELECT pg_catalog.pg_is_in_recovery() AS r) AS recovery',
].join(' ')

/** One successful reading of a server. */
export interface ReplicationReading {
  /** `pg_is_in_recovery()`: true on a standby. */
  readonly inRecovery: boolean
  /**
   * On a standby its replay LSN; on a primary its insert LSN (`minReplayLsn(lsn)` is the replay LSN a
   * standby needs to have everything the primary had then).
   */
  readonly lsn: bigint
  /**
   * ms a read on this server may be behind its primary at the reading: 0 on a primary and on a
   * standby that replayed all it received; undefined when unknown (a standby behind, with no
   * transaction replayed since it started and not seen caught up since the monitor connected). It
   * measures the replay of received WAL: a standby cut off from its primary shows 0 while it falls
   * behind, which the byte distance to the primary's LSN reveals. The ages come from the primary's
   * commit timestamps against the standby's clock, so clock skew between them adds to or takes from it.
   */
  readonly lagMs: number | undefined
  /** When the reply came (ms since the epoch). */
  readonly at: number
}

/** A reading's row as the server sent it, or why it cannot be one. */
export interface ParsedReading {
  inRecovery: boolean
  lsn: bigint
  /** The server's lag column: undefined for NULL. */
  serverLagMs: number | undefined
}

/** Reads the one row of {@link READING_SQL}; a string says what is wrong with it. */
export function parseReading(rows: TextRows): ParsedReading | string {
  const row = rows[0]
  if (rows.length !== 1 || row?.length !== 3) return 'malformed reply to the monitor query'
  const [recovery, lsnText, lagText] = row
  const lsn = lsnText === null || lsnText === undefined ? undefined : parseLsn(lsnText)
  const lag = lagText === null || lagText === undefined ? undefined : Number(lagText)
  if ((recovery !== 't' && recovery !== 'f') || lsn === undefined || Number.isNaN(lag))
    return `malformed reply to the monitor query: ${row.join(', ')}`
  return { inRecovery: recovery === 't', lsn, serverLagMs: lag }
}

/**
 * The lag to report for a standby: 0 when the server says it is caught up, else the smaller of the
 * server's figure and the time since `caughtUpAt` (when a reading last found it caught up: every
 * record it has not replayed arrived after that, so, while it streams from its primary, was committed
 * after that), each being an upper bound of how old the newest data a read misses can be.
 */
export function boundLag(
  serverLagMs: number | undefined,
  caughtUpAt: number | undefined,
  at: number,
): number | undefined {
  if (serverLagMs === 0) return 0
  const sinceCaughtUp = caughtUpAt === undefined ? undefined : Math.max(0, at - caughtUpAt)
  if (serverLagMs === undefined) return sinceCaughtUp
  return sinceCaughtUp === undefined ? serverLagMs : Math.min(serverLagMs, sinceCaughtUp)
}
