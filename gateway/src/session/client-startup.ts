/**
 * The startup and authentication steps of a client connection, as a step machine of its own: it reads
 * SSLRequest, CancelRequest, StartupMessage and the auth exchange, writes only the auth exchange's
 * messages, and returns an outcome (`ssl`, `cancel`, `authenticated`) for the session to act on. It
 * knows nothing of the session, so TLS (answering `ssl`) and the admin console plug in at the outcome.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */

import {
  type AuthStep,
  type ClientAuthFlow,
  type ClientAuthMethod,
  createClientAuthFlow,
  type UserCredential,
} from '../auth/client-auth.js'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { AuthQuery } from '../pool/auth-query.js'
import type { UserPool } from '../pool/user-pool.js'
import { serializeNegotiateProtocolVersion } from '../protocol/backend.js'
import { FrontendCode } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import { parseStartupPacket } from '../protocol/frontend.js'
import { ADMIN_DATABASES, type AdminSources } from './admin-commands.js'
import type { ClientContext, ClientTransport, PreAuthenticatedIdentity } from './client-context.js'
import { readStartupSettings, type StartupSettings } from './startup-settings.js'

const ENCRYPTION_REFUSED = Buffer.from('N')

/** What a startup step ended in, for the session to act on. */
export type StartupOutcome =
  /** The client asked for TLS: answer 'S' and hand the socket to TLS, or 'N' to go on in plaintext. */
  | { kind: 'ssl' }
  /** A CancelRequest: forward it and close. */
  | { kind: 'cancel'; processId: number; secretKey: number }
  | {
      kind: 'authenticated'
      user: string
      database: string
      /** The admin console was asked for (no pool: answered by the gateway). */
      admin: boolean
      /** The client's pool; unset for the admin console. */
      pool?: UserPool
      /** Run-time parameters the client set in its StartupMessage. */
      startup: StartupSettings
      /** The last auth message (SASLFinal), sent together with the welcome. */
      finalAuthBytes?: Buffer
    }

/** The admin credential, prepared once per (user, password): its SCRAM secret is slow to derive. */
let adminCred: UserCredential | undefined

function adminCredential(username: string, password: string): UserCredential {
  if (adminCred?.username !== username || adminCred.password !== password) adminCred = { username, password }
  return adminCred
}

/** Where the startup machine is. */
type StartupStep = 'startup' | 'authenticating' | 'done'

/** What an asynchronous step (auth_query) ended in, handed out by the next drain. */
type Deferred = { outcome?: StartupOutcome; error?: unknown }

/** Runs the steps before ReadyForQuery for one connection. */
export class StartupHandler {
  private step: StartupStep = 'startup'
  private startupSettings?: StartupSettings
  private user = ''
  private database = ''
  private found?: UserPool
  private auth?: ClientAuthFlow
  /** An SSLRequest / GSSENCRequest was answered: Postgres answers each kind only once per connection. */
  private sslDone = false
  private gssDone = false
  /** The credential the auth flow checks (auth_query: the fetched one, to learn from a success). */
  private credential?: UserCredential
  /** An auth_query fetch is under way: messages wait in the framer until it ends. */
  private waiting = false
  private deferred?: Deferred
  /** The user's auth_query (it stays known when the query found no secret and the login must fail). */
  private authQuery?: AuthQuery
  /** A failed login fetches the auth_query secret again at most once. */
  private refetched = false

  constructor(
    private readonly context: ClientContext,
    private readonly transport: ClientTransport,
    /** For log lines. */
    private readonly clientId: number,
    /** Called when an asynchronous step ended: the session drains again. */
    private readonly resume: () => void = () => {},
  ) {}

  /** True once a StartupMessage was read (the login deadline then ends with an error, not silently). */
  get started(): boolean {
    return this.step !== 'startup'
  }

  /**
   * Consumes complete startup-phase messages until one yields an outcome; undefined when more bytes
   * are needed. Throws a GatewayError (FATAL) when the login must end.
   */
  drain(framer: MessageFramer): StartupOutcome | undefined {
    const deferred = this.deferred
    if (deferred !== undefined) {
      this.deferred = undefined
      if (deferred.error !== undefined) throw deferred.error
      if (deferred.outcome !== undefined) return deferred.outcome
    }
    while (this.step !== 'done' && !this.waiting && framer.next()) {
      const outcome = this.step === 'startup' ? this.onStartupPacket(framer) : this.onAuthMessage(framer)
      if (outcome !== undefined) return outcome
    }
    return undefined
  }

  /** What the client is told when its next message is longer than its login may send (see ClientAuthFlow.tooLong). */
  tooLongError(): GatewayError | undefined {
    return this.auth?.tooLong?.()
  }

  private onStartupPacket(f: MessageFramer): StartupOutcome | undefined {
    const packet = parseStartupPacket(f.buffer, f.start, f.end)
    switch (packet.kind) {
      case 'ssl':
        return this.encryptionRequest('ssl')
      case 'gssenc':
        this.encryptionRequest('gssenc')
        this.transport.write(ENCRYPTION_REFUSED)
        return undefined
      case 'cancel':
        this.step = 'done'
        return { kind: 'cancel', processId: packet.processId, secretKey: packet.secretKey }
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
   * An encryption request may come once per kind; a second is not a negotiation any more: Postgres
   * reads its code as a protocol version and refuses it. GSS encryption is always refused ('N').
   * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/postmaster/postmaster.c (ProcessStartupPacket)
   */
  private encryptionRequest(kind: 'ssl' | 'gssenc'): StartupOutcome | undefined {
    const done = kind === 'ssl' ? this.sslDone : this.gssDone
    if (done) {
      const minor = kind === 'ssl' ? 5679 : 5680
      throw new GatewayError(
        'FEATURE_NOT_SUPPORTED',
        `unsupported frontend protocol 1234.${minor}: server supports 3.0 to 3.0`,
        { severity: 'FATAL' },
      )
    }
    if (kind === 'gssenc') {
      this.gssDone = true
      return undefined
    }
    this.sslDone = true
    return { kind: 'ssl' }
  }

  /** @param pipelinedPassword a PasswordMessage already follows the StartupMessage, sent unasked */
  private login(
    minorVersion: number,
    params: Map<string, string>,
    pipelinedPassword: boolean,
  ): StartupOutcome | undefined {
    const user = params.get('user')
    if (!user)
      throw new GatewayError('AUTH_NOT_SUPPORTED', 'no PostgreSQL user name specified in startup packet', {
        severity: 'FATAL',
      })
    this.user = user
    this.database = params.get('database') || user
    const startup = readStartupSettings(params)
    this.startupSettings = startup
    if (minorVersion > 0 || startup.protocolOptions.length > 0)
      this.transport.write(serializeNegotiateProtocolVersion(0, startup.protocolOptions))
    if (this.context.logConnections)
      log.info('client connected', {
        client: this.clientId,
        user,
        database: this.database,
        address: this.transport.remoteAddress,
        via: this.transport.kind,
      })
    const lookup = this.context.pools.lookup(this.database, user)
    // A pool named "skiff" keeps its name; "pgcat" and "pgbouncer" cannot be pools (schema-checks.ts).
    const admin =
      lookup.kind === 'unknown-database' && ADMIN_DATABASES.has(this.database)
        ? this.context.adminSources?.()
        : undefined
    if (admin !== undefined) return this.adminLogin(admin, pipelinedPassword)
    if (lookup.kind === 'unknown-database') {
      throw new GatewayError('UNKNOWN_DATABASE', `database "${this.database}" does not exist`, {
        severity: 'FATAL',
        hint: `Skiff serves only the databases named under [pools.<name>] in its config`,
      })
    }
    this.found = lookup.kind === 'found' ? lookup.pool : undefined
    const method = this.loginMethod(
      lookup.kind === 'found' ? lookup.pool.authMethod : lookup.authMethod,
      pipelinedPassword,
    )
    this.step = 'authenticating'
    const authQuery = method === 'trust' ? undefined : this.found?.authQuery
    this.authQuery = authQuery
    if (authQuery === undefined) return this.beginAuth(method, this.found?.credential)
    const cached = authQuery.current()
    if (cached !== undefined) return this.beginAuth(method, cached ?? undefined)
    return this.wait(authQuery.fetch(), (credential) => this.beginAuth(method, credential ?? undefined))
  }

  /** Starts the exchange against `credential` (undefined: fail as for an unknown user). */
  private beginAuth(
    method: ClientAuthMethod,
    credential: UserCredential | undefined,
  ): StartupOutcome | undefined {
    this.credential = credential
    if (credential === undefined && this.authQuery !== undefined) this.found = undefined
    this.auth = createClientAuthFlow(method, credential, this.user)
    return this.applyAuthStep(this.auth.start()) // trust is authenticated at once
  }

  /**
   * Waits for an auth_query fetch: the client's messages stay in the framer, the next drain (after
   * `resume`) hands out what `then` made of the result, or the error.
   */
  private wait<T>(promise: Promise<T>, then: (value: T) => StartupOutcome | undefined): undefined {
    this.waiting = true
    const settle = (deferred: Deferred) => {
      this.waiting = false
      this.deferred = deferred
      this.resume()
    }
    promise.then(
      (value) => {
        try {
          settle({ outcome: then(value) })
        } catch (error) {
          settle({ error })
        }
      },
      (error: unknown) => settle({ error }),
    )
    return undefined
  }

  /**
   * A login to the admin console: only general.admin_username, with admin_password and
   * admin_auth_type; anyone else is refused before any password is asked (28000).
   */
  private adminLogin(admin: AdminSources, pipelinedPassword: boolean): StartupOutcome | undefined {
    const general = admin.general
    if (this.user !== general.admin_username || this.transport.preAuthenticated !== undefined)
      throw new GatewayError(
        'AUTH_REJECTED',
        `user "${this.user}" may not use the admin database "${this.database}"`,
        { severity: 'FATAL', hint: 'log in as general.admin_username' },
      )
    this.adminLogin_ = true
    this.found = undefined
    const credential = adminCredential(general.admin_username, general.admin_password)
    const method = this.loginMethod(general.admin_auth_type, pipelinedPassword)
    this.auth = createClientAuthFlow(
      method === 'ignore-password' ? 'password' : method,
      credential,
      this.user,
    )
    this.step = 'authenticating'
    return this.applyAuthStep(this.auth.start())
  }

  private adminLogin_ = false

  /**
   * The user's method, unless the front changes it: an HTTP API token already proved the identity, and a
   * password sent before it was asked for (Neon's pipelineConnect) can only be a cleartext one.
   */
  private loginMethod(method: ClientAuthMethod, pipelinedPassword: boolean): ClientAuthMethod {
    const t = this.transport
    const proven = t.preAuthenticated
    if (proven !== undefined) return this.provenMethod(proven)
    if (!pipelinedPassword || t.pipelinedPassword === undefined) return method
    // A trust user's driver sends a password anyway: it is read and ignored, as the method says.
    if (t.pipelinedPassword === 'accept')
      return method === 'trust' && this.found !== undefined ? 'ignore-password' : 'password'
    throw new GatewayError('AUTH_REJECTED', 'password sent before the server asked for it, in cleartext', {
      severity: 'FATAL',
      hint: 'this WebSocket is not a loopback connection, so Skiff will not take a cleartext password on it: set neonConfig.pipelineConnect = false (the driver then uses SCRAM), or set http.websocket_pipelined_password = "always" if TLS ends in front of Skiff',
    })
  }

  /**
   * The token proved one identity: the login itself must be for exactly that user (and database),
   * whatever the front decoded on its way here.
   */
  private provenMethod(proven: PreAuthenticatedIdentity): ClientAuthMethod {
    if (this.user !== proven.user || (proven.database !== undefined && this.database !== proven.database))
      throw new GatewayError('AUTH_REJECTED', 'the API token is not valid for this login', {
        severity: 'FATAL',
        hint: 'use the token of the user and database named in the connection string',
      })
    if (this.found !== undefined) return 'trust'
    throw new GatewayError(
      'AUTH_REJECTED',
      `user "${this.user}" has no pool in database "${this.database}"`,
      {
        severity: 'FATAL',
        hint: 'use an API token of a user configured under this database',
      },
    )
  }

  private onAuthMessage(f: MessageFramer): StartupOutcome | undefined {
    if (f.code !== FrontendCode.Password) {
      // Postgres's words: auth-sasl.c says "SASL response", auth.c "password response".
      const kind = this.auth?.sasl === true ? 'SASL' : 'password'
      throw new GatewayError('PROTOCOL_VIOLATION', `expected ${kind} response, got message type ${f.code}`, {
        severity: 'FATAL',
      })
    }
    let step: AuthStep
    try {
      step = this.auth!.handle(f.buffer, f.start, f.end)
    } catch (error) {
      return this.afterFailure(error)
    }
    return this.applyAuthStep(step)
  }

  /**
   * A wrong password for an auth_query user: the secret may have changed on the server, so it is
   * fetched again (once) and an md5 answer checked against the new one; SCRAM's answer was made for
   * the old salt, so that client fails and its next login uses the new secret.
   */
  private afterFailure(error: unknown): StartupOutcome | undefined {
    const authQuery = this.authQuery
    const wrongPassword = error instanceof GatewayError && error.code === 'AUTH_FAILED'
    const refetch = wrongPassword && !this.refetched ? authQuery?.refetchAfterFailure() : undefined
    if (refetch === undefined) throw error
    this.refetched = true
    return this.wait(refetch, (credential) => {
      const step = credential === null ? undefined : this.auth!.recheck?.(credential)
      if (step === undefined || credential === null) throw error
      this.credential = credential
      return this.applyAuthStep(step)
    })
  }

  private applyAuthStep(step: AuthStep): StartupOutcome | undefined {
    if (!step.authenticated) {
      if (step.send !== undefined) this.transport.write(step.send)
      return undefined
    }
    const pool = this.found
    if (this.adminLogin_) {
      this.step = 'done'
      return {
        kind: 'authenticated',
        user: this.user,
        database: this.database,
        admin: true,
        startup: this.startupSettings!,
        finalAuthBytes: step.send,
      }
    }
    if (pool === undefined)
      throw new GatewayError('AUTH_FAILED', `password authentication failed for user "${this.user}"`, {
        severity: 'FATAL',
      })
    this.step = 'done'
    if (this.credential !== undefined) pool.authQuery?.learn(this.credential, step.proof)
    // The last step's bytes (SASLFinal) go out with the welcome: one write and one client wake-up less.
    return {
      kind: 'authenticated',
      user: this.user,
      database: this.database,
      admin: false,
      pool,
      startup: this.startupSettings!,
      finalAuthBytes: step.send,
    }
  }
}
