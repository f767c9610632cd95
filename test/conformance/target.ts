/**
 * The conformance suite's vocabulary: a target (direct Postgres, or Skiff through one front in one pool
 * mode), the connection a case drives on it, and the comparable records every operation returns. Cases
 * are written once against these types; each target maps them onto its own driver.
 * @module
 */

/**
 * What a case may need beyond one query on one connection. A target that cannot offer a feature names
 * the reason, and the cases needing it are reported as skipped with that reason.
 */
export type Feature =
  /** The connection keeps its session across queries (interactive transactions, SQL PREPARE, …). */
  | 'session'
  /** Several statements in one simple-protocol Query. */
  | 'multi-statement'
  /** Results in binary format. */
  | 'binary'
  /** Protocol-level named prepared statements (node-postgres `{ name, text, values }`). */
  | 'named-statements'
  /** COPY FROM STDIN and COPY TO STDOUT. */
  | 'copy'
  /** NoticeResponse delivered to the client. */
  | 'notice'
  /** CancelRequest with the key the client got at login. */
  | 'cancel'

/** A RowDescription field as drivers expose it (node-postgres' Field, Neon's FieldDef). */
export interface FieldRecord {
  name: string
  tableID: number
  columnID: number
  dataTypeID: number
  dataTypeSize: number
  dataTypeModifier: number
  format: string
}

/** One statement's result: its command tag parts, fields and rows (made comparable across module copies). */
export interface ResultRecord {
  command: string | null
  rowCount: number | null
  fields: FieldRecord[]
  rows: unknown
}

/** Every field of an ErrorResponse or NoticeResponse the drivers expose, null when absent. */
export type ReportRecord = Record<string, string | null>

/** What one operation came to: the results of each statement, or the error. */
export type Outcome = { ok: ResultRecord[] } | { error: ReportRecord }

/** One query as a case asks for it; `name` and `binary` need their features. */
export interface QuerySpec {
  text: string
  values?: unknown[]
  /** A named prepared statement (feature `named-statements`). */
  name?: string
  /** Results in binary format (feature `binary`). */
  binary?: boolean
}

/** A connection on a target, driven by cases. Database errors are returned as outcomes, never thrown. */
export interface ConformanceConn {
  /** One query (simple protocol without values, extended with them, as node-postgres chooses). */
  query(spec: QuerySpec | string): Promise<Outcome>
  /**
   * Queries run in one transaction that commits, or rolls back at the first error (whose outcome is
   * returned): BEGIN … COMMIT on a session, `sql.transaction([...])` over HTTP.
   */
  batch(specs: QuerySpec[]): Promise<Outcome>
  /** The notices received since the last call (feature `notice`). */
  takeNotices(): ReportRecord[]
  /** Sends a CancelRequest with this connection's key (feature `cancel`). */
  cancel(): Promise<void>
  /** COPY … FROM STDIN with `data` as the copy stream (feature `copy`, or its refusal over HTTP). */
  copyIn(sql: string, data: string): Promise<Outcome>
  /** COPY … TO STDOUT; the outcome's one row holds the whole copy stream as text (feature `copy`). */
  copyOut(sql: string): Promise<Outcome>
  close(): Promise<void>
}

/** Where the suite runs: direct Postgres, or one Skiff front in one pool mode. */
export interface ConformanceTarget {
  name: string
  /** Features this target cannot offer, each with the reason. Anything not listed is supported. */
  unsupported: Readonly<Partial<Record<Feature, string>>>
  connect(): Promise<ConformanceConn>
}

/** The reason `target` cannot run a case needing `needs`, or undefined when it can. */
export function missingFeature(target: ConformanceTarget, needs: readonly Feature[]): string | undefined {
  for (const feature of needs) {
    const reason = target.unsupported[feature]
    if (reason !== undefined) return `${feature}: ${reason}`
  }
  return undefined
}

/** What a case can use while it runs on a target. */
export interface CaseContext {
  /** A new connection on the target; the harness closes it after the case. */
  connect(): Promise<ConformanceConn>
  /**
   * Waits until a backend runs exactly `text` (seen by the harness straight on Postgres), or until
   * `gaveUp()` says there is no point waiting (the query already ended).
   */
  waitUntilRunning(text: string, gaveUp?: () => boolean): Promise<void>
}

/** One conformance case, written once and run on every target that has what it needs. */
export interface ConformanceCase {
  name: string
  needs: readonly Feature[]
  /** SQL the harness runs straight on Postgres, as the superuser, before each target's run. */
  reset?: string
  /**
   * Targets (matched by name) where Skiff is known to differ from Postgres, and why: the reason starts
   * with "documented:" (README says so), "gateway bug:" or "to decide:". The case still runs there, as
   * a todo: its failure is reported but does not fail the run.
   */
  knownDifference?: { targets: RegExp; reason: string }
  /** Runs the case; what it returns is the record compared with direct Postgres's. */
  run(ctx: CaseContext): Promise<unknown>
  /**
   * Checked on direct Postgres's record, so a case cannot pass by every target failing alike (say,
   * each getting a connection error instead of the unique violation the case is about).
   */
  expect(record: unknown): void
}
