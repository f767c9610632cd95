/**
 * One client connection, from StartupMessage to Terminate: an explicit state machine. The startup
 * steps run in client-startup.ts and end in an outcome; the query phase (query-phase.ts) serves the
 * logged-in client through bindings the router picks per transaction.
 * @module
 */
import { asGatewayError, GatewayError, shutdownError, toFatal } from '../errors.js'
import { log } from '../log.js'
import { isFrontendCode } from '../protocol/codes.js'
import {
  FramingError,
  MAX_AUTH_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageFramer,
} from '../protocol/framer.js'
import { type RoutingState, routeTransaction } from '../router/route.js'
import { classifySql } from '../sql/index.js'
import type { AdminSources } from './admin-commands.js'
import { AdminConsole } from './admin-console.js'
import type { CancelTarget, ClientContext, ClientTransport, ConnectionTarget } from './client-context.js'
import { ClientSettings } from './client-settings.js'
import { StartupHandler, type StartupOutcome } from './client-startup.js'
import { prepareLoginServer } from './login-server.js'
import { QueryPhase } from './query-phase.js'
import type { QueryPhaseOwner } from './query-phase-support.js'
import { buildWelcome } from './welcome.js'

/** What the admin console reports at login (as PgBouncer's console does: enough for psql). */
const ADMIN_PARAMS: ReadonlyMap<string, string> = new Map([
  ['server_version', '16.0 (Skiff admin console)'],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['DateStyle', 'ISO, MDY'],
  ['integer_datetimes', 'on'],
  ['standard_conforming_strings', 'on'],
])

/** Steps of a client connection. */
export const ClientStep = {
  Startup: 'Startup',
  Authenticating: 'Authenticating',
  /** Authenticated; waiting to learn the server's parameters before ReadyForQuery. */
  Connecting: 'Connecting',
  Ready: 'Ready',
  Closed: 'Closed',
} as const
export type ClientStep = (typeof ClientStep)[keyof typeof ClientStep]

let nextClientId = 1
const EMPTY = Buffer.alloc(0)
/** TLS is not offered: 'N' tells the client to go on in plaintext (or give up if it requires TLS). */
const SSL_REFUSED = Buffer.from('N')
/** The router reads nothing of the request when it picks the server whose parameters a login reports. */
const LOGIN_REQUEST = { statement: classifySql('') }

/** A client session. */
export class ClientSession implements CancelTarget, ConnectionTarget, QueryPhaseOwner {
  readonly id = nextClientId++
  readonly connectedAt = Date.now()
  step: ClientStep = ClientStep.Startup
  processId = 0
  secretKey = 0
  username = ''
  database = ''
  /** The parameter values this client believes in (reported to it, or chosen by it). */
  params = new Map<string, string>()
  /** The run-time parameters that follow the client from server to server (client-settings.ts). */
  settings = new ClientSettings(new Map())
  readonly routing: RoutingState = {}
  /** Before login every message is capped as Postgres caps a password or SASL message. */
  private readonly framer = new MessageFramer(true, MAX_AUTH_MESSAGE_LENGTH, isFrontendCode)
  /** This connection counts against max_client_conn (it was not refused at accept). */
  private readonly counted: boolean
  private readonly startup: StartupHandler
  private query?: QueryPhase
  private admin?: AdminConsole

  /** Counts the connection against max_client_conn; one over the limit is refused at once. */
  constructor(
    readonly context: ClientContext,
    readonly transport: ClientTransport,
  ) {
    this.startup = new StartupHandler(context, transport, this.id, () => this.resumeInput())
    const refused = context.openConnection(this)
    this.counted = refused === undefined
    if (refused !== undefined) {
      this.step = ClientStep.Closed
      log.debug('client refused', { client: this.id, reason: refused.message })
      transport.end(refused.toErrorResponse())
    }
  }

  get transactionCount(): number {
    return this.query?.transactionCount ?? 0
  }

  get queryCount(): number {
    return this.query?.queryCount ?? this.admin?.queryCount ?? 0
  }

  /** True while the client holds a server connection (SHOW POOLS cl_active). */
  get active(): boolean {
    return this.query?.active ?? false
  }

  /** Bytes from the client. */
  onData(chunk: Buffer): void {
    if (this.step === ClientStep.Closed) return
    this.framer.push(chunk)
    this.query?.onInput()
    try {
      if (this.step === ClientStep.Ready) {
        if (this.admin !== undefined) this.admin.read(this.framer)
        else this.query!.read(this.framer)
      } else if (this.step !== ClientStep.Connecting) this.drainStartup()
    } catch (err) {
      this.onBadInput(err)
    }
  }

  /** Input held back by the query phase may go on now. */
  resumeInput(): void {
    this.onData(EMPTY)
  }

  /** Runs the startup steps over what the framer holds and acts on their outcomes. */
  private drainStartup(): void {
    for (;;) {
      const outcome = this.startup.drain(this.framer)
      if (this.step === ClientStep.Startup && this.startup.started) this.step = ClientStep.Authenticating
      if (outcome === undefined || this.act(outcome)) return
    }
  }

  /** Acts on a startup outcome; true when the startup phase is over. */
  private act(outcome: StartupOutcome): boolean {
    switch (outcome.kind) {
      case 'ssl':
        this.answerSslRequest()
        return false
      case 'cancel':
        this.context.cancel(outcome.processId, outcome.secretKey)
        this.close('cancel request')
        return true
      case 'authenticated':
        this.beginService(outcome)
        return true
    }
  }

  /**
   * 'S' and TLS when the front offers it, else 'N'. Bytes that came after the SSLRequest, before the
   * handshake, were sent in plaintext and may have been injected (CVE-2021-23214): refuse them, as Postgres does.
   * @see https://www.postgresql.org/support/security/CVE-2021-23214/
   */
  private answerSslRequest(): void {
    const transport = this.transport
    if (transport.startTls === undefined) return void transport.write(SSL_REFUSED)
    if (this.framer.pending > 0)
      throw new GatewayError('PROTOCOL_VIOLATION', 'received unencrypted data after SSL request', {
        severity: 'FATAL',
        detail:
          'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
      })
    transport.startTls()
  }

  private onBadInput(err: unknown): void {
    // Bytes that cannot be a startup packet: Postgres closes without a word (and only logs it).
    if (!this.startup.started && err instanceof FramingError) {
      log.debug('closing a connection that did not start with a startup packet', {
        client: this.id,
        error: err.message,
      })
      return this.close('not a startup packet', EMPTY)
    }
    const tooLong = err instanceof FramingError && err.tooLong ? this.startup.tooLongError() : undefined
    this.fail(toFatal(tooLong ?? asGatewayError(err, 'PROTOCOL_VIOLATION')))
  }

  /**
   * client_login_timeout passed: as Postgres, a client that never sent its startup packet is closed
   * silently, one in the middle of authentication gets 57014.
   */
  onLoginTimeout(): void {
    if (this.step === ClientStep.Startup) return this.close('client_login_timeout', EMPTY)
    if (this.step === ClientStep.Closed || this.step === ClientStep.Ready) return
    this.fail(
      new GatewayError('LOGIN_TIMEOUT', 'canceling authentication due to timeout', {
        severity: 'FATAL',
        hint: 'the client did not finish logging in within client_login_timeout',
      }),
    )
  }

  /**
   * Authenticated: bring a server to the client's startup parameters (session mode: its own server),
   * send the welcome, start the query phase.
   */
  private beginService(login: Extract<StartupOutcome, { kind: 'authenticated' }>): void {
    this.username = login.user
    this.database = login.database
    this.step = ClientStep.Connecting
    this.framer.maxLength = MAX_MESSAGE_LENGTH
    this.transport.onAuthenticated?.()
    const sources = login.admin ? this.context.adminSources?.() : undefined
    if (sources !== undefined) return this.beginAdmin(sources, login)
    const pool = login.pool!
    const serverPool = routeTransaction(LOGIN_REQUEST, this.routing, pool).candidates[0]!
    prepareLoginServer(pool, serverPool, login.startup, (result) => {
      if (this.step === ClientStep.Closed) {
        if (!(result instanceof GatewayError) && result.server !== undefined)
          serverPool.checkin(result.server, 'session')
        return
      }
      if (result instanceof GatewayError) return this.fail(toFatal(result))
      this.settings = result.settings
      const key = this.context.registerClient(this, result.server?.processId)
      this.processId = key.processId
      this.secretKey = key.secretKey
      this.query = new QueryPhase(this, pool)
      const welcome = buildWelcome(result.params, key, login.finalAuthBytes)
      this.params = result.params
      this.transport.write(welcome)
      if (result.server !== undefined) this.query.adopt(result.server, serverPool)
      this.step = ClientStep.Ready
      this.context.loginDone(this)
      if (this.framer.pending > 0) this.onData(EMPTY)
    })
  }

  /** The admin console: welcomed at once, every message answered by the gateway (admin-console.ts). */
  private beginAdmin(sources: AdminSources, login: Extract<StartupOutcome, { kind: 'authenticated' }>): void {
    const key = this.context.registerClient(this)
    this.processId = key.processId
    this.secretKey = key.secretKey
    const params = new Map(ADMIN_PARAMS)
    const name = login.startup.settings.get('application_name')
    if (name !== undefined) params.set('application_name', name)
    this.params = params
    this.admin = new AdminConsole(
      sources,
      // A reply awaited (PAUSE) may come after the session closed.
      (bytes) => this.step !== ClientStep.Closed && this.transport.write(bytes),
      () => this.close('terminate', EMPTY),
      () => this.resumeInput(),
    )
    this.transport.write(buildWelcome(params, key, login.finalAuthBytes))
    this.step = ClientStep.Ready
    this.context.loginDone(this)
    if (this.framer.pending > 0) this.onData(EMPTY)
  }

  /**
   * Calls `cb` with the position of the client's last commit once it is known (read_your_writes), or
   * undefined when there is none: HTTP sends it back as `Skiff-Lsn`.
   */
  whenCommitKnown(cb: (lsn: bigint | undefined) => void): void {
    if (this.query === undefined) return cb(undefined)
    this.query.commits.whenKnown(cb)
  }

  onTransportDrain(): void {
    this.query?.onTransportDrain()
  }

  cancelRunningQuery(): void {
    this.query?.cancelRunningQuery()
  }

  shutdown(force: boolean): void {
    if (this.step === ClientStep.Closed) return
    if (!force && this.step === ClientStep.Ready) {
      // An HTTP request's session ends with its request; others wait for their ReadyForQuery Idle.
      if (this.transport.kind === 'http' || this.query?.betweenTransactions === false) return
    }
    const loggedIn = this.step === ClientStep.Ready || this.step === ClientStep.Connecting
    this.fail(shutdownError(loggedIn))
  }

  /** KILL_CLIENT: FATAL 57P01, as pg_terminate_backend. */
  kill(): void {
    this.fail(shutdownError(true))
  }

  /** Sends a FATAL error and closes; non-FATAL errors are sent and the session continues. */
  fail(error: GatewayError): void {
    if (this.step === ClientStep.Closed) return
    if (error.severity !== 'FATAL') {
      this.transport.write(error.toErrorResponse())
      return
    }
    // The server's refusal of a client's setting quotes the value, which may hold anything: code only.
    const refused = error.code === 'SERVER_REFUSED'
    const message = refused
      ? `the server refused a startup parameter (SQLSTATE ${error.sqlstate})`
      : error.message
    log.debug('closing client after error', { client: this.id, code: error.sqlstate, message })
    this.close(message, error.toErrorResponse())
  }

  /** Ends the session: returns or discards its server, then closes the transport. */
  close(reason: string, lastBytes?: Buffer): void {
    if (this.step === ClientStep.Closed) return
    const wasReady = this.step === ClientStep.Ready || this.step === ClientStep.Connecting
    this.step = ClientStep.Closed
    this.framer.reset()
    if (this.counted) this.context.closeConnection(this)
    if (wasReady) this.context.unregisterClient(this)
    this.query?.close()
    if (this.context.logDisconnections && wasReady) {
      log.info('client disconnected', {
        client: this.id,
        user: this.username,
        database: this.database,
        reason,
      })
    }
    this.transport.end(lastBytes)
  }
}
