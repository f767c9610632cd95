/**
 * One Postgres session over the gateway's WebSocket endpoint (binary frames carrying protocol bytes):
 * login (cleartext, md5 or SCRAM-SHA-256), then queries one at a time. The I/O half; the bytes are built
 * and read in frontend.ts and backend.ts.
 * @module
 */
import { errorFromFields, SkiffError } from '../errors.js'
import type { FieldDef, RawResult } from '../result.js'
import {
  type BackendMessage,
  MessageFramer,
  parseAuthentication,
  parseCommandComplete,
  parseDataRow,
  parseErrorFields,
  parseMechanisms,
  parseRowDescription,
  utf8,
} from './backend.js'
import {
  extendedQuery,
  passwordMessage,
  queryMessage,
  saslInitialResponse,
  saslResponse,
  startupMessage,
  terminateMessage,
} from './frontend.js'
import { md5Password } from './md5.js'
import { ScramClient } from './scram.js'

/** The part of the WebSocket API the SDK uses (the standard one; `ws` on Node 20 fits too). */
export interface WebSocketLike {
  binaryType: string
  send(data: Uint8Array): void
  close(code?: number): void
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** Who logs in where. */
export interface WireOptions {
  /** ws:// or wss:// URL of the gateway's WebSocket endpoint. */
  url: string
  user: string
  password?: string
  database: string
  WebSocket: WebSocketConstructor
  applicationName?: string
}

const closed = (why: string) => new SkiffError(why, { code: 'SKIFF_CONNECTION_CLOSED' })

/** A logged-in session; `query` calls run one after another. */
export class WireConnection {
  private readonly framer = new MessageFramer()
  private inbox: BackendMessage[] = []
  private waiter: ((m: BackendMessage | SkiffError) => void) | undefined
  private failure: SkiffError | undefined
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(private readonly ws: WebSocketLike) {}

  /** Opens the socket and logs in; rejects with a SkiffError (SKIFF_UNREACHABLE, 28P01, 3D000, …). */
  static async open(o: WireOptions): Promise<WireConnection> {
    let ws: WebSocketLike
    try {
      ws = new o.WebSocket(o.url)
    } catch (err) {
      throw new SkiffError(
        `cannot open a WebSocket to ${o.url}`,
        { code: 'SKIFF_UNREACHABLE' },
        { cause: err },
      )
    }
    try {
      ws.binaryType = 'arraybuffer' // browsers default to Blob; Workers and ws give ArrayBuffers anyway
    } catch {
      // a runtime without the setter
    }
    const conn = new WireConnection(ws)
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve())
      ws.addEventListener('error', () =>
        reject(new SkiffError(`cannot reach the gateway at ${o.url}`, { code: 'SKIFF_UNREACHABLE' })),
      )
    })
    ws.addEventListener('message', (e) => conn.onData(e.data))
    ws.addEventListener('close', () => conn.fail(closed('the gateway closed the WebSocket')))
    ws.addEventListener('error', () => conn.fail(closed('WebSocket error')))
    try {
      await conn.login(o)
    } catch (err) {
      conn.close()
      throw err
    }
    return conn
  }

  private onData(data: unknown): void {
    let bytes: Uint8Array
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    else return this.fail(closed('the gateway sent a text frame on the WebSocket'))
    for (const m of this.framer.push(bytes)) this.deliver(m)
  }

  private deliver(m: BackendMessage | SkiffError): void {
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w(m)
    } else if (!(m instanceof SkiffError)) this.inbox.push(m)
  }

  private fail(err: SkiffError): void {
    if (this.failure !== undefined) return
    this.failure = err
    this.deliver(err)
  }

  private next(): Promise<BackendMessage> {
    const m = this.inbox.shift()
    if (m !== undefined) return Promise.resolve(m)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiter = (x) => (x instanceof SkiffError ? reject(x) : resolve(x))
    })
  }

  private async login(o: WireOptions): Promise<void> {
    const params: Record<string, string> = { user: o.user, database: o.database, client_encoding: 'UTF8' }
    params.application_name = o.applicationName ?? 'skiff-client-sdk'
    this.ws.send(startupMessage(params))
    let scram: ScramClient | undefined
    for (;;) {
      const m = await this.next()
      if (m.type === 'E') throw errorFromFields(parseErrorFields(m.body))
      if (m.type === 'Z') return
      if (m.type !== 'R') continue
      const auth = parseAuthentication(m.body)
      const password = o.password ?? ''
      if (auth.code === 3) this.ws.send(passwordMessage(password))
      else if (auth.code === 5)
        this.ws.send(passwordMessage(md5Password(o.user, password, auth.data.slice(0, 4))))
      else if (auth.code === 10) {
        if (!parseMechanisms(auth.data).includes('SCRAM-SHA-256'))
          throw unsupported('SASL without SCRAM-SHA-256')
        scram = new ScramClient(password)
        this.ws.send(saslInitialResponse('SCRAM-SHA-256', scram.clientFirst()))
      } else if (auth.code === 11 && scram)
        this.ws.send(saslResponse(await scram.clientFinal(utf8(auth.data))))
      else if (auth.code === 12 && scram) scram.verifyServerFinal(utf8(auth.data))
      else if (auth.code !== 0) throw unsupported(`authentication method ${auth.code}`)
    }
  }

  /**
   * Runs one statement: simple protocol without params (so `BEGIN`, `SAVEPOINT` and routing commands
   * go as they are), extended protocol with text params otherwise. Rejects with the ErrorResponse.
   */
  query(text: string, params?: readonly (string | null)[]): Promise<RawResult> {
    const run = this.queue.then(() => this.run(text, params))
    this.queue = run.catch(() => {})
    return run
  }

  private async run(text: string, params?: readonly (string | null)[]): Promise<RawResult> {
    if (this.failure !== undefined) throw this.failure
    this.ws.send(params === undefined ? queryMessage(text) : extendedQuery(text, params))
    let fields: FieldDef[] = []
    let rows: (string | null)[][] = []
    let result: RawResult = { fields, rows, command: '', rowCount: null }
    let error: SkiffError | undefined
    for (;;) {
      const m = await this.next()
      if (m.type === 'T') {
        fields = parseRowDescription(m.body)
        rows = []
      } else if (m.type === 'D') rows.push(parseDataRow(m.body))
      else if (m.type === 'C') result = { fields, rows, ...parseCommandComplete(m.body) }
      else if (m.type === 'E') error ??= errorFromFields(parseErrorFields(m.body))
      else if (m.type === 'Z') {
        if (error !== undefined) throw error
        return result
      }
    }
  }

  /** Sends Terminate and closes the socket. */
  close(): void {
    try {
      if (this.failure === undefined) this.ws.send(terminateMessage())
      this.ws.close(1000)
    } catch {
      // already closed
    }
    this.fail(closed('the connection was closed'))
  }
}

function unsupported(what: string): SkiffError {
  return new SkiffError(`the SDK does not support ${what}`, { code: 'SKIFF_AUTH_UNSUPPORTED' })
}
