/**
 * A client's run-time parameters as it would find them on its own Postgres backend, kept by the
 * gateway so they follow the client from one server connection to the next in transaction mode.
 *
 * The values come from two places: the client's StartupMessage, and what the server says after a
 * transaction that may have changed them (session-probe.ts). A SET, RESET, `SET ... TO DEFAULT` or
 * `set_config(..., false)` thus lands here exactly as Postgres applied it (a SET rolled back, or a SET
 * LOCAL, leaves nothing), and a RESET brings back the startup value, as it does on a backend.
 * @module
 */
import { quoteLiteral } from '../util/quote-literal.js'

/** One client's settings: lower-cased parameter name → value. */
export class ClientSettings {
  /** What the client's next transaction must find on its server. */
  wanted: Map<string, string>
  /** Custom settings (with a dot in the name) the client's statements named: the probe asks for them. */
  readonly customNames = new Set<string>()

  /** @param startup the client's startup values (they also come back after RESET). */
  constructor(readonly startup: ReadonlyMap<string, string>) {
    this.wanted = new Map(startup)
  }

  /**
   * Takes the session-level values a server holds after one of the client's transactions: its startup
   * values, overridden by every session-level value now on the server. True when anything changed.
   */
  learn(server: ReadonlyMap<string, string>): boolean {
    const next = new Map(this.startup)
    for (const [name, value] of server) next.set(name, value)
    const changed = !sameSettings(next, this.wanted)
    this.wanted = next
    return changed
  }

  /**
   * The statement that brings a server whose session-level values are `server` to the client's, or
   * undefined when they already agree: `set_config` for each value that differs, and a NULL value
   * (which resets to the connection's default) for each one the client does not have.
   * @see https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SET
   */
  planFor(server: ReadonlyMap<string, string>): string | undefined {
    const calls: string[] = []
    for (const [name, value] of this.wanted)
      if (server.get(name) !== value) calls.push(setConfig(name, quoteLiteral(value)))
    for (const name of server.keys()) if (!this.wanted.has(name)) calls.push(setConfig(name, 'NULL'))
    return calls.length === 0 ? undefined : `SELECT ${calls.join(', ')}`
  }
}

function setConfig(name: string, value: string): string {
  return `pg_catalog.set_config(${quoteLiteral(name)}, ${value}, false)`
}

/** True when both maps hold the same entries. */
export function sameSettings(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [name, value] of a) if (b.get(name) !== value) return false
  return true
}
