/**
 * LISTEN/NOTIFY in transaction mode: a client's lone `LISTEN ch`, `UNLISTEN ch` and `UNLISTEN *`
 * between transactions are answered by the gateway and registered with its pool's listener
 * connection (pool/notification-listener.ts); each notification on a channel the client listens on
 * reaches it between its transactions, as a backend delivers them (after a transaction's
 * ReadyForQuery, or at once while the client is idle).
 * @see https://www.postgresql.org/docs/current/sql-listen.html
 * @module
 */
import type { GatewayError } from '../errors.js'
import type { NotificationListener, NotificationSubscriber } from '../pool/notification-listener.js'
import {
  serializeCommandComplete,
  serializeNoticeResponse,
  serializeReadyForQuery,
} from '../protocol/backend.js'
import { TxnStatus } from '../protocol/codes.js'
import { type ListenCommand, parseListenCommand, truncationNotice } from '../sql/index.js'
import { isDiscardAll } from './deallocate.js'

const READY_IDLE = serializeReadyForQuery(TxnStatus.Idle)
const LISTEN_DONE = Buffer.concat([serializeCommandComplete('LISTEN'), READY_IDLE])
const UNLISTEN_DONE = Buffer.concat([serializeCommandComplete('UNLISTEN'), READY_IDLE])

/** What the LISTEN handling needs from the client's session. */
export interface ListenHost {
  /** The current pool's listener, if it has one (transaction mode, notification_listener on). */
  listener(): NotificationListener | undefined
  /** True when nothing of the client's runs or waits: a notification may go out now. */
  readonly betweenTransactions: boolean
  /** Sends the gateway's reply to a request (it ends with ReadyForQuery). */
  answer(reply: Buffer): void
  /** Writes bytes to the client. */
  write(bytes: Buffer): void
  /** Holds the client's input until `resume` (the reply to a LISTEN waits for the server). */
  hold(): void
  resume(): void
}

/** One client's channels and the notifications waiting for it to be between transactions. */
export class ListenRequests implements NotificationSubscriber {
  private queued?: Buffer[]
  /** The listener the client's channels are registered with. */
  private used?: NotificationListener

  constructor(private readonly host: ListenHost) {}

  /**
   * Answers a Query `buf[start, end)` (the whole message) that is a lone LISTEN or UNLISTEN, when the
   * pool has a listener; true when it took the message. DISCARD ALL is passed on, and drops the
   * client's channels as it does on a backend.
   */
  take(buf: Buffer, start: number, end: number): boolean {
    const first = firstLetter(buf, start + 5, end)
    if (first === 0x64) return this.discardAll(buf, start, end) // d
    if (first !== 0x6c && first !== 0x75) return false // l, u
    const listener = this.host.listener()
    if (listener === undefined) return false
    const command = parseListenCommand(buf, start + 5, end - 1)
    if (command === undefined) return false
    this.used = listener
    if (command.kind === 'unlisten-all') listener.unlistenAll(this)
    else if (command.kind === 'unlisten') listener.unlisten(command.channel, this)
    else {
      this.host.hold()
      listener.listen(command.channel, this, (error) => this.listened(command, error))
      return true
    }
    this.host.answer(withNotice(command, UNLISTEN_DONE))
    return true
  }

  private listened(command: ListenCommand, error: GatewayError | undefined): void {
    const reply = error === undefined ? LISTEN_DONE : Buffer.concat([error.toErrorResponse(), READY_IDLE])
    this.host.answer(withNotice(command, reply))
    this.host.resume()
    this.flush()
  }

  private discardAll(buf: Buffer, start: number, end: number): boolean {
    if (this.used !== undefined && isDiscardAll(buf.toString('utf8', start + 5, end - 1)))
      this.used.unlistenAll(this)
    return false
  }

  /** A notification on one of the client's channels (the server's message, byte for byte). */
  onNotification(message: Buffer): void {
    if (this.host.betweenTransactions && this.queued === undefined) return this.host.write(message)
    this.queued ??= []
    this.queued.push(message)
  }

  /** Sends the notifications that waited, if the client is between transactions now. */
  flush(): void {
    const queued = this.queued
    if (queued === undefined || !this.host.betweenTransactions) return
    this.queued = undefined
    this.host.write(queued.length === 1 ? queued[0]! : Buffer.concat(queued))
  }

  /** The client left: its channels are dropped. */
  close(): void {
    this.used?.unlistenAll(this)
    this.queued = undefined
  }
}

/** Postgres's NOTICE 42622 for a channel name cut to 63 bytes (the lexer's, so before any error). */
function withNotice(command: ListenCommand, reply: Buffer): Buffer {
  const notice = truncationNotice(command)
  if (notice === undefined) return reply
  return Buffer.concat([
    serializeNoticeResponse({ severity: 'NOTICE', code: '42622', message: notice }),
    reply,
  ])
}

/** The first byte of the text that is not blank, lower-cased (0 when none). */
function firstLetter(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const b = buf[i]!
    if (b !== 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) return b | 0x20
  }
  return 0
}
