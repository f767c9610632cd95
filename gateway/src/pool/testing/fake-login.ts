/**
 * A fake server's side of the startup phase: the startup packet (StartupMessage, SSLRequest,
 * CancelRequest), the password exchange (trust, cleartext or md5), and the welcome Postgres sends
 * before the first ReadyForQuery.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  serializeAuthenticationCleartextPassword,
  serializeAuthenticationMD5Password,
  serializeAuthenticationOk,
  serializeBackendKeyData,
  serializeErrorResponse,
  serializeParameterStatus,
  serializeReadyForQuery,
} from '../../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../../protocol/codes.js'
import { parsePasswordMessage, parseStartupPacket } from '../../protocol/frontend.js'

/** How a fake server asks the gateway to prove who it is. */
export type FakeAuth = 'trust' | 'cleartext' | 'md5'

/** What a fake server reports at login unless told otherwise (a Postgres 16 with default settings). */
export const DEFAULT_SERVER_PARAMS: Readonly<Record<string, string>> = {
  application_name: '',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  default_transaction_read_only: 'off',
  in_hot_standby: 'off',
  integer_datetimes: 'on',
  IntervalStyle: 'postgres',
  is_superuser: 'off',
  server_encoding: 'UTF8',
  server_version: '16.4 (fake)',
  standard_conforming_strings: 'on',
  TimeZone: 'UTC',
}

/** How one fake server logs its peer in. */
export interface LoginSettings {
  auth: FakeAuth
  /** The password cleartext and md5 logins must prove. */
  password: string
  /** Refuse every login with FATAL 28P01. */
  refuse: boolean
  /** Reported parameters (before the startup packet's own values). */
  params: Readonly<Record<string, string>>
  processId: number
  secretKey: number
}

/** What one startup-phase message leads to. */
export type LoginStep =
  | { next: 'startup' | 'authenticating'; send: Buffer[] }
  | { next: 'ready'; send: Buffer[]; params: Map<string, string> }
  | { next: 'closed'; send: Buffer[]; cancel?: { processId: number; secretKey: number } }

/** The startup phase of one fake backend. */
export class FakeLogin {
  /** What the StartupMessage asked for (user, database, application_name, statement_timeout, …). */
  readonly startupParams = new Map<string, string>()
  private readonly salt = randomBytes(4)

  constructor(private readonly settings: LoginSettings) {}

  /** Answers an untagged startup packet `buf[start, end)`. */
  startup(buf: Buffer, start: number, end: number): LoginStep {
    const packet = parseStartupPacket(buf, start, end)
    if (packet.kind === 'ssl' || packet.kind === 'gssenc')
      return { next: 'startup', send: [Buffer.from('N')] }
    if (packet.kind === 'cancel') return { next: 'closed', send: [], cancel: packet }
    if (packet.kind !== 'startup') return fatal('0A000', 'unsupported frontend protocol')
    for (const [name, value] of packet.params) this.startupParams.set(name, value)
    const s = this.settings
    if (s.refuse) return fatal('28P01', `password authentication failed for user "${this.user}"`)
    if (s.auth === 'trust') return this.welcome()
    const ask =
      s.auth === 'md5'
        ? serializeAuthenticationMD5Password(this.salt)
        : serializeAuthenticationCleartextPassword()
    return { next: 'authenticating', send: [ask] }
  }

  /** Answers a PasswordMessage (`code` 'p') or refuses anything else. */
  password(code: number, buf: Buffer, start: number, end: number): LoginStep {
    if (code !== FrontendCode.Password) return fatal('08P01', `expected password response, got ${code}`)
    const given = parsePasswordMessage(buf, start, end)
    const s = this.settings
    const expected = s.auth === 'md5' ? md5Answer(this.user, s.password, this.salt) : s.password
    if (given !== expected) return fatal('28P01', `password authentication failed for user "${this.user}"`)
    return this.welcome()
  }

  private get user(): string {
    return this.startupParams.get('user') ?? ''
  }

  /** AuthenticationOk, every reported parameter, BackendKeyData, ReadyForQuery 'I'. */
  private welcome(): LoginStep {
    const params = new Map(Object.entries(this.settings.params))
    params.set('session_authorization', this.user)
    for (const [name, value] of this.startupParams) if (params.has(name)) params.set(name, value)
    const send = [serializeAuthenticationOk()]
    for (const [name, value] of params) send.push(serializeParameterStatus(name, value))
    send.push(serializeBackendKeyData(this.settings.processId, this.settings.secretKey))
    send.push(serializeReadyForQuery(TxnStatus.Idle))
    return { next: 'ready', send, params }
  }
}

function fatal(code: string, message: string): LoginStep {
  return { next: 'closed', send: [serializeErrorResponse({ severity: 'FATAL', code, message })] }
}

/** "md5" + md5hex(md5hex(password + user) + salt), computed here rather than by the gateway's own code. */
function md5Answer(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex')
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`
}
