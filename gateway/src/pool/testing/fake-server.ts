/**
 * An in-memory Postgres backend (protocol 3.0) for one connection, with hooks for tests: it records
 * every message it receives, can hold its replies, can die in the middle of one, and answers queries
 * from a tiny built-in model (fake-sql.ts) or from the test's own handlers.
 *
 * States: `startup` (untagged packets) → `authenticating` (cleartext or md5 only) → `ready` (serving
 * queries) → `closed`, reached from any state.
 * @module
 */
import { serializeErrorResponse, serializeNotificationResponse } from '../../protocol/backend.js'
import { TxnStatus } from '../../protocol/codes.js'
import { MessageFramer } from '../../protocol/framer.js'
import { dataRow, rowDescription, TypeOid } from './backend-messages.js'
import { FakeLogin, type LoginSettings, type LoginStep } from './fake-login.js'
import { matches, type QueryHandler, type QueryMatch } from './fake-outcome.js'
import { ReplyOutlet } from './fake-outlet.js'
import { FakeServing } from './fake-serving.js'
import type { ServerEnd } from './memory-transport.js'
import { describeMessage, type ReceivedMessage } from './received-message.js'
import { notifyChange } from './until.js'

/** Where a fake backend is in its life. */
export type FakeServerState = 'startup' | 'authenticating' | 'ready' | 'closed'

/** What a fake server needs from whoever made it (see FakeCluster). */
export interface FakeServerSettings extends LoginSettings {
  /** The cluster's handler for a statement, consulted after the server's own. */
  handlerFor(sql: string): QueryHandler | undefined
  /** A CancelRequest arrived on this pipe. */
  onCancel(processId: number, secretKey: number): void
  /** Splits every write into chunks of at most this many bytes (0: whole), to exercise framing. */
  maxChunk: number
}

/** One fake backend connection. */
export class FakeServer {
  state: FakeServerState = 'startup'
  /** The login completed (the server reached `ready` once). */
  loggedIn = false
  /** Every message received, the startup packet included. */
  readonly received: ReceivedMessage[] = []
  /** Bytes received while serving (after the login's ReadyForQuery). */
  bytesReceived = 0
  /** What the StartupMessage asked for. */
  readonly startupParams: ReadonlyMap<string, string>
  private readonly framer = new MessageFramer(true)
  private readonly login: FakeLogin
  private serving?: FakeServing
  private readonly handlers: Array<[QueryMatch, QueryHandler]> = []
  private readonly outlet: ReplyOutlet
  /** The next Query or Execute that matches dies mid-reply (see dieMidReply). */
  private dieOn?: QueryMatch

  constructor(
    private readonly pipe: ServerEnd,
    private readonly settings: FakeServerSettings,
  ) {
    this.login = new FakeLogin(settings)
    this.outlet = new ReplyOutlet(pipe, settings.maxChunk)
    this.startupParams = this.login.startupParams
    pipe.onData = (bytes) => this.onData(bytes)
    pipe.onClose = () => this.close()
  }

  get processId(): number {
    return this.settings.processId
  }

  get secretKey(): number {
    return this.settings.secretKey
  }

  /** Bytes sent while serving (after the login's ReadyForQuery). */
  get bytesSent(): number {
    return this.outlet.bytesSent
  }

  /** Transaction status of the last ReadyForQuery ('I' before login). */
  get txnStatus(): 'I' | 'T' | 'E' {
    return String.fromCharCode(this.serving?.sql.status ?? TxnStatus.Idle) as 'I' | 'T' | 'E'
  }

  /** Current reported parameters (after SETs). */
  get params(): ReadonlyMap<string, string> {
    return this.serving?.sql.params ?? new Map()
  }

  /** The text of every simple Query received, in order. */
  queries(): string[] {
    return this.received.filter((m) => m.type === 'Query').map((m) => m.sql!)
  }

  /** Answers statements `match` selects with `handler` (this connection only; newest first). */
  handle(match: QueryMatch, handler: QueryHandler): this {
    this.handlers.unshift([match, handler])
    return this
  }

  /** Keeps every reply back, as a server busy with a long query would, until {@link release}. */
  hold(): void {
    this.outlet.hold()
  }

  /** Sends the replies held back, in order, and stops holding. */
  release(): void {
    this.outlet.release()
  }

  /**
   * Arms a crash: the next Query (or Execute) whose text `match` selects (any, by default) is answered
   * with part of a reply (a RowDescription and half a DataRow), then the pipe closes without an error.
   * Replies held back are lost with it.
   */
  dieMidReply(match: QueryMatch = () => true): void {
    this.dieOn = match
  }

  /** Channels this backend LISTENs on. */
  get listening(): ReadonlySet<string> {
    return this.serving?.sql.listening ?? new Set()
  }

  /**
   * A NOTIFY from backend `processId`: a NotificationResponse, sent at once (or held back with the
   * replies), if this backend listens on `channel`; true if it does. The fake has no transactions to
   * wait for: Postgres would send it when this backend is next idle.
   */
  notify(channel: string, payload: string, processId = 4242): boolean {
    if (this.state !== 'ready' || !this.listening.has(channel)) return false
    this.write(serializeNotificationResponse(processId, channel, payload))
    return true
  }

  /** As pg_terminate_backend: FATAL 57P01, then the connection closes. */
  terminate(): void {
    if (this.state === 'closed') return
    this.outlet.drop()
    this.write(serializeErrorResponse(TERMINATED))
    this.close()
  }

  /** Closes the pipe without a word (a crashed backend). */
  disconnect(): void {
    this.close()
  }

  /** Breaks the pipe: the gateway sees a socket error (ECONNRESET). */
  reset(): void {
    this.state = 'closed'
    this.pipe.abort()
    notifyChange()
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return
    this.framer.push(chunk)
    try {
      while (this.isOpen() && this.framer.next()) this.onMessage()
    } catch (error) {
      this.write(serializeErrorResponse({ severity: 'FATAL', code: '08P01', message: String(error) }))
      this.close()
    }
    notifyChange()
  }

  /** A method, not a field read, so the compiler does not assume the state unchanged by onMessage. */
  private isOpen(): boolean {
    return this.state !== 'closed'
  }

  private onMessage(): void {
    const f = this.framer
    this.received.push(describeMessage(this.state === 'startup' ? 0 : f.code, f.buffer, f.start, f.end))
    if (this.state === 'startup') return this.apply(this.login.startup(f.buffer, f.start, f.end))
    if (this.state === 'authenticating')
      return this.apply(this.login.password(f.code, f.buffer, f.start, f.end))
    this.bytesReceived += f.end - f.start
    this.serving!.serve(this.received.at(-1)!, f.buffer, f.start, f.end)
  }

  /** Moves through the startup phase. */
  private apply(step: LoginStep): void {
    for (const bytes of step.send) this.write(bytes, false)
    if (step.next === 'startup') return
    this.framer.untagged = false
    if (step.next === 'closed') {
      if (step.cancel !== undefined) this.settings.onCancel(step.cancel.processId, step.cancel.secretKey)
      return this.close()
    }
    if (step.next === 'ready') {
      this.loggedIn = true
      this.serving = new FakeServing(step.params, this.processId, (sql) => this.handlerFor(sql), {
        write: (bytes) => this.write(bytes),
        close: () => this.close(),
        crashOn: (sql, withDescription) => this.crashOn(sql, withDescription),
      })
    }
    this.state = step.next
  }

  private handlerFor(sql: string): QueryHandler | undefined {
    return this.handlers.find(([m]) => matches(m, sql))?.[1] ?? this.settings.handlerFor(sql)
  }

  /** The crash armed by dieMidReply, if `sql` is the statement it waits for. */
  private crashOn(sql: string, withDescription: boolean): boolean {
    if (this.dieOn === undefined || !matches(this.dieOn, sql)) return false
    this.die(withDescription)
    return true
  }

  private die(withDescription: boolean): void {
    this.dieOn = undefined
    this.outlet.drop()
    const row = dataRow(['1'])
    const head = withDescription ? [rowDescription([{ name: '?column?', type: TypeOid.int4 }])] : []
    this.write(Buffer.concat([...head, row.subarray(0, row.length >> 1)]))
    this.close()
  }

  private write(bytes: Buffer, serving = true): void {
    this.outlet.send(bytes, serving)
  }

  private close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.pipe.close()
    notifyChange()
  }
}

const TERMINATED = {
  severity: 'FATAL',
  code: '57P01',
  message: 'terminating connection due to administrator command',
} as const
