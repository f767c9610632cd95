/**
 * A Postgres client driving a real {@link ClientSession} in memory: it logs in (trust, cleartext or
 * md5), sends queries or any bytes, and waits for the replies, without a socket.
 * @module
 */
import { createHash } from 'node:crypto'
import type { BackendMessage } from '../../pool/testing/backend-summary.js'
import { until } from '../../pool/testing/until.js'
import { AuthCode, BackendCode } from '../../protocol/codes.js'
import {
  serializePasswordMessage,
  serializeQuery,
  serializeStartupMessage,
  serializeTerminate,
} from '../../protocol/frontend.js'
import type { ClientContext } from '../client-context.js'
import { ClientSession } from '../client-session.js'
import { RecordingClientTransport } from './recording-client-transport.js'

/** Who logs in. */
export interface ClientLogin {
  user: string
  database: string
  /** Answers a cleartext or md5 request; a trust login never asks. */
  password?: string
  /** Extra startup parameters (application_name, TimeZone, …). */
  params?: Record<string, string>
}

const READY = String.fromCharCode(BackendCode.ReadyForQuery)
const AUTH = String.fromCharCode(BackendCode.Authentication)

/** One client connection to a gateway (its ClientContext), in memory. */
export class TestClient {
  readonly transport = new RecordingClientTransport()
  readonly session: ClientSession

  constructor(readonly context: ClientContext) {
    this.session = new ClientSession(context, this.transport)
  }

  /** Everything the session wrote to this client so far. */
  get messages(): BackendMessage[] {
    return this.transport.messages
  }

  get ended(): boolean {
    return this.transport.ended
  }

  /** Bytes from the client, as a socket's 'data' event would bring them. */
  send(bytes: Buffer): void {
    this.session.onData(bytes)
  }

  /**
   * Sends a StartupMessage, answers a password request, and resolves with everything up to the first
   * ReadyForQuery (or up to the close, when the login is refused).
   */
  async login(login: ClientLogin): Promise<BackendMessage[]> {
    const from = this.messages.length
    this.send(serializeStartupMessage({ user: login.user, database: login.database, ...login.params }))
    let answered = from
    for (;;) {
      await until(() => this.ended || this.readiesSince(from) > 0 || this.authRequest(answered) >= 0, 'login')
      const request = this.authRequest(answered)
      if (request < 0) return this.messages.slice(from)
      answered = request + 1
      this.send(serializePasswordMessage(this.answer(this.messages[request]!, login)))
    }
  }

  /** Runs one simple Query and resolves with its replies, through ReadyForQuery (or the close). */
  query(sql: string): Promise<BackendMessage[]> {
    return this.exchange(serializeQuery(sql))
  }

  /** Sends `bytes` and resolves with the replies once `readies` ReadyForQuery came (or the close). */
  async exchange(bytes: Buffer, readies = 1): Promise<BackendMessage[]> {
    const from = this.messages.length
    this.send(bytes)
    await until(() => this.ended || this.readiesSince(from) >= readies, `${readies} ReadyForQuery`)
    return this.messages.slice(from)
  }

  /** Says goodbye as a polite client does. */
  terminate(): void {
    this.send(serializeTerminate())
  }

  /** The connection drops without a Terminate (a killed client process). */
  vanish(): void {
    this.session.close('the test client vanished')
  }

  private readiesSince(from: number): number {
    let n = 0
    for (let i = from; i < this.messages.length; i++) if (this.messages[i]!.code === READY) n++
    return n
  }

  /** Index of the first password request at or after `from`, or -1. */
  private authRequest(from: number): number {
    for (let i = from; i < this.messages.length; i++) {
      const m = this.messages[i]!
      if (m.code === AUTH && m.bytes.readInt32BE(5) !== AuthCode.Ok) return i
    }
    return -1
  }

  private answer(request: BackendMessage, login: ClientLogin): string {
    const password = login.password ?? ''
    const code = request.bytes.readInt32BE(5)
    if (code === AuthCode.CleartextPassword) return password
    if (code !== AuthCode.MD5Password) throw new Error(`TestClient cannot answer authentication code ${code}`)
    const inner = createHash('md5')
      .update(password + login.user)
      .digest('hex')
    return `md5${createHash('md5').update(inner).update(request.bytes.subarray(9, 13)).digest('hex')}`
  }
}
