/**
 * The gateway's own login to a Postgres server: StartupMessage, then whatever authentication the
 * server asks for (trust, cleartext, md5, SCRAM-SHA-256), then ParameterStatus and BackendKeyData
 * until the first ReadyForQuery. Pure: bytes in, bytes out.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */
import { md5Response } from '../auth/md5.js'
import { ScramClientSession, ScramProtocolError } from '../auth/scram-client.js'
import { GatewayError, serverRefusal } from '../errors.js'
import {
  parseAuthentication,
  parseBackendKeyData,
  parseErrorFields,
  parseParameterStatus,
  parseSASLMechanisms,
} from '../protocol/backend-decode.js'
import { AuthCode, BackendCode } from '../protocol/codes.js'
import {
  serializePasswordMessage,
  serializeSASLInitialResponse,
  serializeSASLResponse,
  serializeStartupMessage,
} from '../protocol/frontend.js'
import type { ServerAddress, ServerLogin } from './server-address.js'

/** What a finished startup yields. */
export interface StartupResult {
  params: Map<string, string>
  processId: number
  secretKey: number
}

/** Drives one server login; feed it each message, send what it returns. */
export class ServerStartup {
  readonly params = new Map<string, string>()
  processId = 0
  secretKey = 0
  private scram?: ScramClientSession

  constructor(
    private readonly address: ServerAddress,
    private readonly login: ServerLogin,
  ) {}

  /** The StartupMessage to send first. */
  startupMessage(): Buffer {
    const params: Record<string, string> = { user: this.login.username, database: this.address.database }
    if (this.login.applicationName !== '') params.application_name = this.login.applicationName
    if (this.login.statementTimeout > 0) params.statement_timeout = String(this.login.statementTimeout)
    // A client's own parameters come after the gateway's, so its values win where both set one.
    for (const [name, value] of this.login.clientParams ?? []) params[name] = value
    return serializeStartupMessage(params)
  }

  /**
   * Handles one server message. Returns bytes to send, `'ready'` at ReadyForQuery, or undefined.
   * Throws a GatewayError when the server refuses the login.
   */
  handle(code: number, buf: Buffer, start: number, end: number): Buffer | 'ready' | undefined {
    switch (code) {
      case BackendCode.Authentication:
        return this.handleAuthentication(buf, start, end)
      case BackendCode.ParameterStatus: {
        const [name, value] = parseParameterStatus(buf, start, end)
        this.params.set(name, value)
        return undefined
      }
      case BackendCode.BackendKeyData:
        ;[this.processId, this.secretKey] = parseBackendKeyData(buf, start, end)
        return undefined
      case BackendCode.ReadyForQuery:
        return 'ready'
      case BackendCode.ErrorResponse:
        throw this.refused(parseErrorFields(buf, start, end))
      default:
        return undefined // NoticeResponse, NegotiateProtocolVersion: nothing to do
    }
  }

  private handleAuthentication(buf: Buffer, start: number, end: number): Buffer | undefined {
    const { code, data } = parseAuthentication(buf, start, end)
    switch (code) {
      case AuthCode.Ok:
        return undefined
      case AuthCode.CleartextPassword:
        return serializePasswordMessage(this.password('cleartext', true))
      case AuthCode.MD5Password:
        return serializePasswordMessage(md5Response(this.login.username, this.password('md5', false), data))
      case AuthCode.SASL:
        return this.startScram(parseSASLMechanisms(data))
      case AuthCode.SASLContinue:
        return serializeSASLResponse(
          this.scramStep(() => this.scramSession().handleServerFirst(data.toString('utf8'))),
        )
      case AuthCode.SASLFinal:
        this.scramStep(() => this.scramSession().verifyServerFinal(data.toString('utf8')))
        return undefined
      default:
        throw this.failure(
          `the server asks for an authentication method Skiff does not support (code ${code})`,
        )
    }
  }

  private startScram(mechanisms: string[]): Buffer {
    if (!mechanisms.includes('SCRAM-SHA-256')) {
      throw this.failure(
        `the server offers only SASL mechanisms ${mechanisms.join(', ')}; Skiff supports SCRAM-SHA-256`,
      )
    }
    const keys = this.login.scramKeys
    this.scram = new ScramClientSession(keys ?? this.password('SCRAM-SHA-256', true))
    return serializeSASLInitialResponse('SCRAM-SHA-256', this.scram.clientFirstMessage())
  }

  /**
   * A SCRAM step; with keys from auth_query, a failure means they belong to an older password:
   * the secret is fetched anew (onAuthRejected) and the login fails with a reason.
   */
  private scramStep<T>(step: () => T): T {
    try {
      return step()
    } catch (error) {
      if (this.login.scramKeys === undefined || !(error instanceof ScramProtocolError)) throw error
      this.login.onAuthRejected?.()
      throw this.failure(`SCRAM with the keys learned through auth_query failed: ${error.message}`)
    }
  }

  private scramSession(): ScramClientSession {
    if (!this.scram) throw this.failure('the server sent a SASL message before AuthenticationSASL')
    return this.scram
  }

  /** The configured password; a stored hash only serves md5. Never included in errors. */
  private password(method: string, needsPlaintext: boolean): string {
    const pw = this.login.password
    if (pw === undefined || pw === '') {
      throw this.failure(
        `the server asks for ${method} authentication but no password is configured`,
        this.login.noPasswordHint ?? 'set password or server_password for this user',
      )
    }
    const isStoredHash = /^md5[0-9a-f]{32}$/.test(pw) || pw.startsWith('SCRAM-SHA-256$')
    if (isStoredHash && (needsPlaintext || pw.startsWith('SCRAM'))) {
      throw this.failure(
        `the server asks for ${method} authentication, which needs the plaintext password, but only a hash is configured`,
        'set server_password to the plaintext password',
      )
    }
    return pw
  }

  private refused(fields: Map<string, string>): GatewayError {
    const message = fields.get('M') ?? 'login refused'
    const code = fields.get('C') ?? ''
    if (code.startsWith('28')) this.login.onAuthRejected?.()
    // With a client's own startup parameters, an error that is not about the login (class 28) or the
    // server's state (08, 3D, 53, 57) is about those parameters: the client gets it as Postgres sent it.
    if (this.login.clientParams !== undefined && !/^(28|08|3D|53|57)/.test(code) && code.length === 5)
      return serverRefusal(fields)
    return this.failure(`server refused the login: ${message} (SQLSTATE ${fields.get('C') ?? '?'})`)
  }

  private failure(reason: string, hint?: string): GatewayError {
    const where = `${this.login.username}@${this.address.host}:${this.address.port}/${this.address.database}`
    return new GatewayError('SERVER_AUTH_FAILED', `could not log in to server ${where}: ${reason}`, { hint })
  }
}
