/**
 * What the classifier tells the router about one request (a Query's text or a Parse's statement), and
 * how the kinds of several statements combine into the kind of the whole.
 * @module
 */

/**
 * What a statement means to a router; see the rules in `index.ts`.
 * - `begin`, `commit`, `rollback`: opens or ends a transaction block (`commit` also covers `END` and
 *   `PREPARE TRANSACTION`; `rollback` covers `ABORT`).
 * - `savepoint`: SAVEPOINT, RELEASE, ROLLBACK TO: inside a transaction, ends nothing.
 * - `read`: runs on a hot standby as well as on the primary.
 * - `write`: needs the primary.
 * - `set`: SET / RESET (session or transaction state); `show`: SHOW.
 * - `other`: session-bound or unknown (PREPARE, EXECUTE, DECLARE, FETCH, DISCARD, …): not a
 *   reason to split; run where the session runs.
 * - `empty`: only whitespace, comments or `;`.
 */
export type StatementKind =
  | 'empty'
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'savepoint'
  | 'read'
  | 'write'
  | 'set'
  | 'show'
  | 'other'

/** What a SET, RESET or SHOW statement names (first such statement of the text). */
export interface ParameterCommand {
  /**
   * The parameter: unquoted words lower-cased, quoted ones exact, qualified parts joined by `.`;
   * Postgres's special forms give its own parameter names (`TIME ZONE` → `timezone`, `NAMES` →
   * `client_encoding`, `SCHEMA` → `search_path`, `SESSION AUTHORIZATION` → `session_authorization`,
   * `TRANSACTION ISOLATION LEVEL` → `transaction_isolation`, `XML OPTION` → `xmloption`); `SET
   * TRANSACTION`, `SET SESSION CHARACTERISTICS`, `SET CONSTRAINTS` give `transaction`,
   * `session_characteristics`, `constraints`; `RESET ALL` / `SHOW ALL` give `all`. Words that are not
   * one Postgres name stay joined by one space (`SET SERVER ROLE TO …` → `server role`), so a router
   * can answer PgCat's commands.
   */
  readonly name: string
  /** SET LOCAL, SET TRANSACTION, SET CONSTRAINTS: lasts until the end of the transaction. */
  readonly local: boolean
  /** RESET, or SET … TO DEFAULT. */
  readonly reset: boolean
  /** For SET: the value's SQL text as written (`'UTC'`, `1, 2`), trimmed; '' for RESET and SHOW. */
  readonly value: string
}

/** The classification of one request: one or more statements separated by `;`. */
export interface StatementInfo {
  /** The strongest kind of its statements (see {@link combineKinds}); `empty` when there are none. */
  readonly kind: StatementKind
  /** Lower-case first word of the first statement (`select`, `with`, `begin`, …); '' if none. */
  readonly firstKeyword: string
  /** Non-empty statements (`select 1;; select 2;` counts 2). */
  readonly statementCount: number
  /** The kind of each non-empty statement, in order. */
  readonly kinds: readonly StatementKind[]
  /** Some statement opens or ends a transaction block (`begin`, `commit`, `rollback`). */
  readonly transactionControl: boolean
  /**
   * READ ONLY (true) or READ WRITE (false) from the last BEGIN / START TRANSACTION / SET TRANSACTION
   * that names an access mode; undefined if none does.
   */
  readonly readOnly: boolean | undefined
  /** A COMMIT / ROLLBACK … AND CHAIN: a new transaction starts at once, on the same server. */
  readonly chain: boolean
  /** The first SET, RESET or SHOW statement, parsed; undefined if there is none. */
  readonly parameter: ParameterCommand | undefined
  /** Comments before the first keyword, each as written with its delimiters (`/* shard_id: 2 *\/`). */
  readonly leadingComments: readonly string[]
  /** A literal, quoted identifier or comment is still open at the end: Postgres will reject the text. */
  readonly unterminated: boolean
}

/** Rank of each kind when statements combine: higher wins; ties keep the earlier statement's kind. */
const RANK: Readonly<Record<StatementKind, number>> = {
  empty: 0,
  begin: 1,
  commit: 1,
  rollback: 1,
  savepoint: 1,
  show: 2,
  set: 3,
  read: 4,
  other: 5,
  write: 6,
}

/**
 * The kind of statements run together: write > other > read > set > show > transaction control >
 * empty. So `begin; select 1; commit` is `read` (with `transactionControl`), `select 1; insert …` is
 * `write`, and `begin; commit` is `begin`.
 */
export function combineKinds(whole: StatementKind, next: StatementKind): StatementKind {
  return RANK[next] > RANK[whole] ? next : whole
}

/** True for the kinds that open or end a transaction block. */
export function isTransactionControl(kind: StatementKind): boolean {
  return kind === 'begin' || kind === 'commit' || kind === 'rollback'
}

const ALL_KINDS: readonly StatementKind[] = Object.keys(RANK) as StatementKind[]

/** Shared one-element `kinds` arrays, so a one-statement request allocates no array. */
export const SINGLE_KIND: Readonly<Record<StatementKind, readonly StatementKind[]>> = Object.fromEntries(
  ALL_KINDS.map((k) => [k, Object.freeze([k])]),
) as Record<StatementKind, readonly StatementKind[]>

/** Shared empty arrays for `kinds` and `leadingComments`. */
export const NO_KINDS: readonly StatementKind[] = Object.freeze([])
export const NO_COMMENTS: readonly string[] = Object.freeze([])
