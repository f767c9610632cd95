/**
 * The one list of what makes a read's result depend on when or by whom it runs, not only on the
 * tables it reads: an edge cache must not keep such a result (issue 22). It holds Postgres's volatile
 * functions that a read may call (time, randomness, sequences, transaction ids, sleeping, settings),
 * the stable-but-time-dependent ones (`now()` is stable within a transaction, not across requests),
 * the session-dependent ones (`current_setting`, `current_user`: a cache shared by users would leak or
 * mix them), and the SQL-standard value functions written without parentheses (`current_date`).
 * A date/time literal that Postgres reads at run time (`'now'`, `'today'`, `'tomorrow'`,
 * `'yesterday'`) counts too.
 *
 * This list needs no server. User-defined functions and views are for the relation catalog
 * (pool/relation-catalog.ts), asked per name by the HTTP cache headers: a call of a function that is
 * volatile, or user-defined and not immutable, makes a read uncachable, and a view is tagged with the
 * tables under it (its definition is scanned against this list too). See README "Table versions and
 * cache headers".
 * @see https://www.postgresql.org/docs/current/xfunc-volatility.html
 * @see https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT
 * @module
 */

/** Functions (lower-case, unqualified) whose call, with `(`, makes a read uncachable. */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  // Time: stable within a transaction at most.
  ...['now', 'current_timestamp', 'current_time', 'localtime', 'localtimestamp', 'clock_timestamp'],
  ...['statement_timestamp', 'transaction_timestamp', 'timeofday', 'age', 'pg_postmaster_start_time'],
  ...['pg_conf_load_time', 'pg_last_xact_replay_timestamp', 'pg_last_committed_xact'],
  // Randomness.
  ...['random', 'random_normal', 'setseed', 'gen_random_uuid', 'gen_random_bytes', 'uuidv4', 'uuidv7'],
  ...['uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4'],
  // Sequences, transaction ids, WAL positions.
  ...['nextval', 'currval', 'lastval', 'setval', 'txid_current', 'txid_current_if_assigned'],
  ...['txid_current_snapshot', 'pg_current_xact_id', 'pg_current_xact_id_if_assigned'],
  ...['pg_current_snapshot', 'pg_current_wal_lsn', 'pg_current_wal_insert_lsn', 'pg_current_wal_flush_lsn'],
  ...['pg_last_wal_receive_lsn', 'pg_last_wal_replay_lsn', 'pg_is_in_recovery'],
  // Sleeping, locks, settings, the session and the server's state.
  ...['pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'set_config', 'current_setting'],
  ...['pg_advisory_lock', 'pg_advisory_xact_lock', 'pg_try_advisory_lock', 'pg_try_advisory_xact_lock'],
  ...['pg_advisory_lock_shared', 'pg_try_advisory_lock_shared', 'pg_advisory_unlock'],
  ...['pg_advisory_unlock_all', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_xact_lock_shared'],
  ...['pg_backend_pid', 'inet_client_addr', 'inet_client_port', 'inet_server_addr', 'inet_server_port'],
  ...['current_user', 'session_user', 'current_role', 'current_schema', 'current_schemas'],
  ...['current_database', 'current_catalog', 'pg_my_temp_schema', 'has_table_privilege'],
  ...['pg_notify', 'pg_stat_get_activity', 'pg_stat_activity', 'version'],
  ...['lo_import', 'lo_export', 'lo_create', 'lo_unlink', 'dblink', 'dblink_exec'],
])

/**
 * SQL value functions Postgres reads without parentheses (`select current_date`): the keyword alone
 * calls them, so a column of that name cannot exist unquoted.
 */
export const VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  ...['current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp'],
  ...['current_user', 'session_user', 'current_role', 'current_catalog', 'current_schema', 'user'],
])

/** Date/time input strings Postgres resolves when the statement runs. */
export const TIME_LITERALS: ReadonlySet<string> = new Set(['now', 'today', 'tomorrow', 'yesterday'])

/** True when a function of this (case-folded, unqualified) name makes a read uncachable. */
export function isVolatileFunction(name: string): boolean {
  return VOLATILE_FUNCTIONS.has(name)
}
