/**
 * Client connections from accept to close: `max_client_conn` (lowered to fit the open-file limit),
 * `client_login_timeout`, and the set a shutdown closes.
 * @module
 */
import { GatewayError, shutdownError } from './errors.js'
import { log } from './log.js'
import type { ConnectionTarget } from './session/client-context.js'
import { fileDescriptorLimit } from './util/fd-limit.js'
import { LoginDeadlines } from './util/login-deadlines.js'

/** Descriptors kept for everything but clients and server connections (listeners, logs, DNS, files). */
const SPARE_DESCRIPTORS = 64

/** Counts and bounds the client connections of one gateway. */
export class ClientAdmission {
  /** max_client_conn, lowered to fit the open-file limit (see fit). */
  private limit: number
  private readonly logins: LoginDeadlines<ConnectionTarget>
  /**
   * Every client connection from accept to close, logged in or not: what max_client_conn counts, and
   * what a shutdown closes.
   */
  readonly sessions = new Set<ConnectionTarget>()
  /** Called when the last client connection closes (a shutdown waits for it). */
  onAllClosed?: () => void

  constructor(maxClientConn: number, loginTimeoutMs: number) {
    this.limit = maxClientConn
    this.logins = new LoginDeadlines(loginTimeoutMs, (c) => c.onLoginTimeout())
  }

  /** Client connections open now, logged in or not. */
  get count(): number {
    return this.sessions.size
  }

  /**
   * Sets max_client_conn, kept within what the process can open: every client connection and every
   * server connection the pools may open (`serverConnections`) is a file descriptor, and running out
   * of them would leave the gateway unable to reach its servers for the clients it already serves.
   */
  fit(maxClientConn: number, serverConnections: number): void {
    this.limit = maxClientConn
    const fdLimit = fileDescriptorLimit()
    if (fdLimit === undefined) return
    const fits = Math.max(1, fdLimit - serverConnections - SPARE_DESCRIPTORS)
    if (fits >= this.limit) return
    log.warn('max_client_conn lowered to fit the open-file limit', {
      max_client_conn: this.limit,
      now: fits,
      open_file_limit: fdLimit,
      server_connections: serverConnections,
      hint: 'raise the limit (ulimit -n, LimitNOFILE= in systemd) to accept more clients',
    })
    this.limit = fits
  }

  /** Admits a new connection, or the FATAL error it gets (`draining`: a shutdown is under way). */
  open(target: ConnectionTarget, draining: boolean): GatewayError | undefined {
    // A keep-alive HTTP connection may still bring a request after the listeners closed.
    if (draining) return shutdownError(false)
    if (this.sessions.size >= this.limit) {
      return new GatewayError(
        'TOO_MANY_CLIENTS',
        `sorry, too many clients already (max_client_conn = ${this.limit})`,
        { severity: 'FATAL' },
      )
    }
    this.sessions.add(target)
    this.logins.add(target)
    return undefined
  }

  loginDone(target: ConnectionTarget): void {
    this.logins.delete(target)
  }

  close(target: ConnectionTarget): void {
    this.sessions.delete(target)
    this.logins.delete(target)
    if (this.sessions.size === 0) this.onAllClosed?.()
  }

  stop(): void {
    this.logins.stop()
  }
}
