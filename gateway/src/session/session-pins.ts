/**
 * Transaction mode's answer to session state: after a transaction whose traffic hints that it changed
 * settings or left state on its server (a SET tag, a temp table, DECLARE, PREPARE, an advisory lock,
 * a DROP or DISCARD while pinned), the gateway asks the server (session-probe.ts). Settings then follow
 * the client to its next server (client-settings.ts); state that cannot follow it pins the client to
 * this server until the state is gone, when it shares servers again.
 *
 * The probe goes out behind the transaction's ReadyForQuery, which the client has already received:
 * the client waits for nothing, and what it sends meanwhile runs on the same server, behind the probe.
 * @module
 */
import { log } from '../log.js'
import { Cleanup, STATE_HINTS } from '../pool/cleanup-state.js'
import type { ServerConnection } from '../pool/server-conn.js'
import {
  describeSessionState,
  type ProbeResult,
  probeSql,
  SessionProbe,
  SessionState,
} from '../pool/session-probe.js'
import type { UserPool } from '../pool/user-pool.js'
import type { ClientSettings } from './client-settings.js'

/** The probe's text per pool, built once (clients log in all day; the text is the same for a pool). */
const probeSqlByPool = new WeakMap<UserPool, string>()

/** The client as the pins see it. */
export interface PinsOwner {
  readonly id: number
  readonly settings: ClientSettings
}

/** One transaction-mode client's pin to its server connection. */
export class SessionPins {
  pinned = false
  /** A probe is under way: the server stays with the client until it is answered. */
  probing = false
  private readonly sql: string
  private readonly loginUser: string
  /** The pool the pin was counted in (a reload may swap the client's pool meanwhile). */
  private countedIn?: UserPool

  constructor(
    private readonly owner: PinsOwner,
    private readonly pool: UserPool,
    /** Called once a probe's answer is in, to end the transaction if nothing holds the server. */
    private readonly onProbed: () => void,
  ) {
    this.loginUser = pool.primary(0).login.username
    let sql = probeSqlByPool.get(pool)
    if (sql === undefined) {
      sql = probeSql(this.loginUser)
      probeSqlByPool.set(pool, sql)
    }
    this.sql = sql
  }

  /** Sends the probe when the transaction's traffic calls for one; true when it did. */
  probe(server: ServerConnection): boolean {
    const hints = server.cleanup & this.hintMask()
    if (hints === 0) return false
    server.cleanup &= ~hints
    this.probing = true
    const custom = this.owner.settings.customNames
    const sql = custom.size === 0 ? this.sql : probeSql(this.loginUser, custom)
    server.sendInternal(new SessionProbe((result, error) => this.probed(server, hints, result, error)), [sql])
    return true
  }

  /** The client left: a pin it held no longer counts. */
  clientLeft(): void {
    if (this.pinned) this.setPinned(false, 0, undefined)
  }

  /** Which cleanup flags call for a probe: settings always; state when pinning is on. */
  private hintMask(): number {
    if (!this.pool.pinSessionState) return Cleanup.Set
    return Cleanup.Set | STATE_HINTS | (this.pinned ? Cleanup.Released : 0)
  }

  private probed(server: ServerConnection, hints: number, result?: ProbeResult, error?: string): void {
    this.probing = false
    if (server.closed) return
    if (result === undefined) {
      // Nothing known: the check-in cleans what the hints named, as without probes.
      log.warn('could not read a server connection session state; it will be reset', {
        client: this.owner.id,
        server: server.id,
        error,
      })
      server.cleanup |= hints
    } else this.learn(server, result)
    this.onProbed()
  }

  private learn(server: ServerConnection, result: ProbeResult): void {
    server.settings = result.settings
    this.owner.settings.learn(result.settings)
    let state = result.state
    if (!this.pool.pinSessionState) {
      // Not pinning: a changed session authorization must not reach the next client.
      if (state & SessionState.SessionAuthorization) server.cleanup |= Cleanup.Set
      state = 0
    }
    if ((state !== 0) !== this.pinned) this.setPinned(state !== 0, state, server)
  }

  private setPinned(pinned: boolean, state: number, server: ServerConnection | undefined): void {
    this.pinned = pinned
    const pool = pinned ? this.pool : this.countedIn!
    if (pinned) {
      this.countedIn = pool
      pool.pins.current++
      pool.pins.total++
    } else pool.pins.current--
    log.debug(pinned ? 'client pinned to its server connection' : 'client unpinned', {
      client: this.owner.id,
      pool: pool.name,
      server: server?.id,
      state: describeSessionState(state),
    })
  }
}
