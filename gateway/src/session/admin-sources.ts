/**
 * What the admin console reads and calls: the pool registry, [general], the logged-in clients and the
 * gateway's actions (RELOAD, PAUSE, ...), and the shape of one command. The gateway builds the sources
 * (gateway.ts); the commands (admin-show-*.ts, admin-control.ts, admin-bans.ts) only read them.
 * @module
 */
import type { GeneralConfig } from '../config/schema-general.js'
import type { PoolRegistry } from '../pool/pool-registry.js'
import type { TableVersionReplication } from '../pool/table-version-replication.js'
import type { AdminColumn, AdminResult } from './admin-results.js'

/** What SHOW CLIENTS reads of a logged-in client, and how KILL_CLIENT ends it. */
export interface AdminClientView {
  readonly id: number
  readonly username: string
  readonly database: string
  readonly connectedAt: number
  readonly transactionCount: number
  readonly queryCount: number
  readonly params: ReadonlyMap<string, string>
  /** True while the client holds a server connection. */
  readonly active?: boolean
  /** Closes the client with FATAL 57P01, as pg_terminate_backend (KILL_CLIENT). */
  kill?(): void
}

/** What RELOAD reports: the new config is in place, or why the old one was kept. */
export type ReloadOutcome =
  | { readonly ok: true; readonly changes: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] }

/**
 * What the commands that change things call; the gateway implements them (gateway.ts), the console
 * only parses, checks its arguments and reports.
 */
export interface AdminActions {
  /** Re-reads the config file (as SIGHUP): the new config, or the errors that kept the old one. */
  reload(): Promise<ReloadOutcome>
  /**
   * Holds new transactions of `database` (every database when undefined); resolves once the
   * transactions in flight there have finished. Clients wait; nothing fails.
   */
  pause(database?: string): Promise<void>
  /** Lets the transactions held by {@link AdminActions.pause} go on. */
  resume(database?: string): void
  /** Whether `database` (or every database when undefined) is paused now. */
  isPaused(database?: string): boolean
  /** Starts a graceful shutdown, as SIGTERM does. */
  shutdown(): void
}

/** What the commands read. */
export interface AdminSources {
  readonly pools: PoolRegistry
  readonly general: GeneralConfig
  clients(): Iterable<AdminClientView>
  readonly version: string
  /** Absent in tests that build sources by hand: the changing commands then answer 0A000. */
  readonly actions?: AdminActions
  /** The table-version replication streams running now (none when absent). */
  tableVersionStreams?(): Iterable<TableVersionReplication>
}

/** One admin command. */
export interface AdminCommand {
  /** As typed, upper case: `SHOW POOLS`, `PAUSE`. */
  readonly name: string
  /** Its arguments as SHOW HELP lists them (`[db]`, `id`); empty for none. */
  readonly args?: string
  readonly help: string
  /** How many arguments it takes at most (0 when absent). */
  readonly maxArgs?: number
  /** The columns it returns (what Describe answers); undefined for a command without rows. */
  readonly columns?: readonly AdminColumn[]
  /** Runs it with its arguments (the words after its name); a promise when it waits for the gateway. */
  run(src: AdminSources, args: readonly string[]): AdminResult | Promise<AdminResult>
}
