/**
 * The startup and authentication steps of a client session: SSLRequest, CancelRequest,
 * StartupMessage, the auth exchange, and the welcome (AuthenticationOk, ParameterStatus,
 * BackendKeyData, ReadyForQuery).
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */

import { type AuthStep, type ClientAuthMethod, createClientAuthFlow } from '../auth/client-auth.js'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { UserPool } from '../pool/user-pool.js'
import {
  serializeAuthenticationOk,
  serializeBackendKeyData,
  serializeNegotiateProtocolVersion,
  serializeParameterStatus,
  serializeReadyForQuery,
} from '../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import { parseStartupPacket } from '../protocol/frontend.js'
import type { ClientSession } from './client-session.js'
import { IGNORED_STARTUP_PARAMETERS, normalizeStartupValue, TRACKED_PARAMETERS } from './param-sync.js'

/** Startup keys that are not run-time parameters. */
const CONNECTION_KEYS = new Set(['user', 'database'])
const SSL_REFUSED = Buffer.from('N')
const READY_IDLE = serializeReadyForQuery(TxnStatus.Idle)

/** Runs the steps before ReadyForQuery for one session. */
export class StartupHandler {
  private startupParams = new Map<string, string>()
  private found?: UserPool
  private finalAuthBytes?: Buffer
  /** An SSLRequest / GSSENCRequest was answered: Postgres answers each kind only once per connection. */
  private sslDone = false
  private gssDone = false

  constructor(private readonly session: ClientSession) {}

  /** Consumes every complete startup-phase message in the framer. */
  drain(framer: MessageFramer): void {
    const s = this.session
    while ((s.step === 'Startup' || s.step === 'Authenticating') && framer.next()) {
      if (s.step === 'Startup') this.onStartupPacket(framer)
      else this.onAuthMessage(framer)
    }
  }

  private onStartupPacket(f: MessageFramer): void {
    const packet = parseStartupPacket(f.buffer, f.start, f.end)
    switch (packet.kind) {
      case 'ssl':
      case 'gssenc':
        return this.refuseEncryption(packet.kind)
      case 'cancel':
        this.session.context.cancel(packet.processId, packet.secretKey)
        return this.session.close('cancel request')
      case 'unsupported-version':
        throw new GatewayError(
          'FEATURE_NOT_SUPPORTED',
          `unsupported frontend protocol ${packet.major}.${packet.minor}: server supports 3.0 to 3.0`,
          { severity: 'FATAL' },
        )
      case 'startup':
        f.untagged = false
        return this.login(packet.minorVersion, packet.params, f.peekCode() === FrontendCode.Password)
      default:
        throw new Error(`Unexpected startup packet: ${JSON.stringify(packet)}`)
    }
  }

  /**
   * TLS arrives in a later release; 'N' tells the client to go on in plaintext (or give up if it
   * requires TLS). A second request of the same kind is not a negotiation any more: Postgres reads its
   * code as a protocol version and refuses it.
   * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/postmaster/postmaster.c (ProcessStartupPacket)
   */
  private refuseEncryption(kind: 'ssl' | 'gssenc'): void {
    const done = kind === 'ssl' ? this.sslDone : this.gssDone
    if (done) {
      const minor = kind === 'ssl' ? 5679 : 5680
      throw new GatewayError(
        'FEATURE_NOT_SUPPORTED',
        `unsupported frontend protocol 1234.${minor}: server supports 3.0 to 3.0`,
        { severity: 'FATAL' },
      )
    }
    if (kind === 'ssl') this.sslDone = true
    else this.gssDone = true
    this.session.transport.write(SSL_REFUSED)
  }

  /** @param pipelinedPassword a PasswordMessage already follows the StartupMessage, sent unasked */
  private login(minorVersion: number, params: Map<string, string>, pipelinedPassword: boolean): void {
    const s = this.session
    const user = params.get('user')
    if (!user)
      throw new GatewayError('AUTH_NOT_SUPPORTED', 'no PostgreSQL user name specified in startup packet', {
        severity: 'FATAL',
      })
    s.username = user
    s.database = params.get('database') || user
    const ignoredOptions = this.checkParams(params)
    if (minorVersion > 0 || ignoredOptions.length > 0)
      s.transport.write(serializeNegotiateProtocolVersion(0, ignoredOptions))
    if (s.context.logConnections)
      log.info('client connected', {
        client: s.id,
        user,
        database: s.database,
        address: s.transport.remoteAddress,
        via: s.transport.kind,
      })
    const lookup = s.context.pools.lookup(s.database, user)
    if (lookup.kind === 'unknown-database') {
      throw new GatewayError('UNKNOWN_DATABASE', `database "${s.database}" does not exist`, {
        severity: 'FATAL',
        hint: `Skiff serves only the databases named under [pools.<name>] in its config`,
      })
    }
    this.found = lookup.kind === 'found' ? lookup.pool : undefined
    const method = lookup.kind === 'found' ? lookup.pool.authMethod : lookup.authMethod
    s.auth = createClientAuthFlow(this.loginMethod(method, pipelinedPassword), this.found?.credential, user)
    s.step = 'Authenticating'
    this.applyAuthStep(s.auth.start())
  }

  /**
   * The user's method, unless the front changes it: an HTTP API token already proved the identity, and a
   * password sent before it was asked for (Neon's pipelineConnect) can only be a cleartext one.
   */
  private loginMethod(method: ClientAuthMethod, pipelinedPassword: boolean): ClientAuthMethod {
    const t = this.session.transport
    const proven = t.preAuthenticated
    if (proven !== undefined) {
      // The token proved one identity: the login itself must be for exactly that user (and database),
      // whatever the front decoded on its way here.
      const s = this.session
      if (s.username !== proven.user || (proven.database !== undefined && s.database !== proven.database))
        throw new GatewayError('AUTH_REJECTED', 'the API token is not valid for this login', {
          severity: 'FATAL',
          hint: 'use the token of the user and database named in the connection string',
        })
      if (this.found !== undefined) return 'trust'
      throw new GatewayError(
        'AUTH_REJECTED',
        `user "${this.session.username}" has no pool in database "${this.session.database}"`,
        {
          severity: 'FATAL',
          hint: 'use an API token of a user configured under this database',
        },
      )
    }
    if (!pipelinedPassword || t.pipelinedPassword === undefined) return method
    // A trust user's driver sends a password anyway: it is read and ignored, as the method says.
    if (t.pipelinedPassword === 'accept')
      return method === 'trust' && this.found !== undefined ? 'ignore-password' : 'password'
    throw new GatewayError('AUTH_REJECTED', 'password sent before the server asked for it, in cleartext', {
      severity: 'FATAL',
      hint: 'this WebSocket is not a loopback connection, so Skiff will not take a cleartext password on it: set neonConfig.pipelineConnect = false (the driver then uses SCRAM), or set http.websocket_pipelined_password = "always" if TLS ends in front of Skiff',
    })
  }

  /** Keeps tracked parameters, rejects ones a pooled connection cannot honour; returns `_pq_.` options. */
  private checkParams(params: Map<string, string>): string[] {
    const ignored: string[] = []
    for (const [name, value] of params) {
      if (CONNECTION_KEYS.has(name) || IGNORED_STARTUP_PARAMETERS.has(name)) continue
      if (name.startsWith('_pq_.')) ignored.push(name)
      else if (name === 'fallback_application_name') {
        if (!params.has('application_name')) this.startupParams.set('application_name', value)
      } else if (TRACKED_PARAMETERS.has(name))
        this.startupParams.set(name, normalizeStartupValue(name, value))
      else if (name === 'options' && value.trim() === '') continue
      else throw unsupportedParameter(name)
    }
    return ignored
  }

  private onAuthMessage(f: MessageFramer): void {
    const s = this.session
    if (f.code !== FrontendCode.Password) {
      // Postgres's words: auth-sasl.c says "SASL response", auth.c "password response".
      const kind = s.auth?.sasl === true ? 'SASL' : 'password'
      throw new GatewayError('PROTOCOL_VIOLATION', `expected ${kind} response, got message type ${f.code}`, {
        severity: 'FATAL',
      })
    }
    this.applyAuthStep(s.auth!.handle(f.buffer, f.start, f.end))
  }

  private applyAuthStep(step: AuthStep): void {
    // The last step's bytes (SASLFinal) go out with the welcome: one write and one client wake-up less.
    if (step.authenticated) {
      this.finalAuthBytes = step.send
      return this.authenticated()
    }
    if (step.send !== undefined) this.session.transport.write(step.send)
  }

  private authenticated(): void {
    const s = this.session
    const pool = this.found
    if (pool === undefined)
      throw new GatewayError('AUTH_FAILED', `password authentication failed for user "${s.username}"`, {
        severity: 'FATAL',
      })
    const key = s.context.registerClient(s)
    s.processId = key.processId
    s.secretKey = key.secretKey
    s.beginService(pool)
  }

  /** Sends the welcome: what Postgres sends between AuthenticationOk and the first ReadyForQuery. */
  finishLogin(serverParams: Map<string, string>): void {
    const s = this.session
    s.params = new Map(serverParams)
    for (const [name, value] of this.startupParams) s.params.set(name, value)
    const head = welcomeHead(serverParams, this.startupParams, s.params)
    const keyData = serializeBackendKeyData(s.processId, s.secretKey)
    const auth = this.finalAuthBytes
    this.finalAuthBytes = undefined
    // One buffer, one write: SASLFinal (if any), the cached head, the key and ReadyForQuery.
    s.transport.write(
      Buffer.concat(auth === undefined ? [head, keyData, READY_IDLE] : [auth, head, keyData, READY_IDLE]),
    )
  }
}

/**
 * AuthenticationOk and the ParameterStatus messages, cached per server parameter set and startup
 * parameters: clients of one pool mostly share both, and building ~15 messages per login shows up
 * when clients connect for every transaction.
 */
const welcomeCache = new WeakMap<Map<string, string>, Map<string, Buffer>>()

function welcomeHead(
  serverParams: Map<string, string>,
  startup: Map<string, string>,
  params: Map<string, string>,
): Buffer {
  let byStartup = welcomeCache.get(serverParams)
  if (byStartup === undefined) {
    byStartup = new Map()
    welcomeCache.set(serverParams, byStartup)
  }
  let key = ''
  for (const [name, value] of startup) key += `${name}\0${value}\0` // names and values hold no NUL
  let head = byStartup.get(key)
  if (head === undefined) {
    const parts = [serializeAuthenticationOk()]
    for (const [name, value] of params) parts.push(serializeParameterStatus(name, value))
    head = Buffer.concat(parts)
    if (byStartup.size < 64) byStartup.set(key, head)
  }
  return head
}

function unsupportedParameter(name: string): GatewayError {
  // A startup packet may be 10,000 bytes: quote a short excerpt of the name, not all of it.
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name
  return new GatewayError('UNSUPPORTED_STARTUP_PARAMETER', `unsupported startup parameter: ${shown}`, {
    severity: 'FATAL',
    hint: `Skiff shares server connections between clients, so it applies only ${[...TRACKED_PARAMETERS].join(', ')} per client; set it with SET in each transaction, or on the role or database in Postgres`,
  })
}
