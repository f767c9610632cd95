/**
 * The server connection of a {@link NotificationListener}: it sends one `LISTEN "channel"` or
 * `UNLISTEN "channel"` Query per request (pipelined: each is answered by its own ReadyForQuery, and an
 * error in one does not skip the next), and reads everything the server sends, as the connection's
 * owner and as the sink of its own queries. NotificationResponse messages come outside any reply, at
 * any time, so both roles see them.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html (NotificationResponse)
 * @module
 */
import type { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import { serializeQuery } from '../protocol/frontend.js'
import type { ReplySink } from './reply-route.js'
import type { ServerConnection } from './server-conn.js'

/** One LISTEN (`listen: true`) or UNLISTEN of a channel. */
export interface ChannelRequest {
  readonly channel: string
  readonly listen: boolean
}

/** What the server said when it refused a request. */
export interface ServerRefusal {
  sqlstate: string
  message: string
}

/** What a listener connection reports; called synchronously from the socket's data handler. */
export interface ListenerConnectionEvents {
  /** A NotificationResponse: a copy of the whole message as the server sent it, and its channel. */
  onNotification(message: Buffer, channel: string): void
  /** The server answered `request` (its ReadyForQuery came); `refusal` when it failed. */
  onAnswered(request: ChannelRequest, refusal?: ServerRefusal): void
  /** The connection broke (terminated, crashed, unreachable); never called after {@link close}. */
  onLost(error: GatewayError): void
}

/** A channel name quoted for SQL: any name is safe inside double quotes with `"` doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** One logged-in server connection used only to LISTEN. */
export class ListenerConnection implements ReplySink {
  readonly internal = true
  /** Requests sent and not yet answered, oldest first, with the error the server gave, if any. */
  private readonly sent: Array<{ request: ChannelRequest; refusal?: ServerRefusal }> = []
  private ended = false

  constructor(
    readonly server: ServerConnection,
    private readonly events: ListenerConnectionEvents,
  ) {
    server.owner = this
  }

  /** Requests not yet answered. */
  get pending(): number {
    return this.sent.length
  }

  /** Sends a LISTEN or UNLISTEN; its answer comes through `onAnswered`, in sending order. */
  send(request: ChannelRequest): void {
    if (this.ended) return
    this.sent.push({ request })
    const verb = request.listen ? 'LISTEN' : 'UNLISTEN'
    this.server.send(this, serializeQuery(`${verb} ${quoteIdentifier(request.channel)}`))
  }

  /** Closes the connection; no event follows. */
  close(): void {
    this.ended = true
    this.server.close()
  }

  onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; ) {
      const next = at + 1 + buf.readUInt32BE(at + 1)
      const code = buf[at]
      if (code === BackendCode.NotificationResponse) this.notification(buf, at, next)
      else if (code === BackendCode.ErrorResponse) this.error(buf, at, next)
      at = next
    }
  }

  onReadyForQuery(): void {
    const head = this.sent.shift()
    if (head !== undefined && !this.ended) this.events.onAnswered(head.request, head.refusal)
  }

  onParameterStatus(): void {}

  onServerLost(error: GatewayError): void {
    if (this.ended) return
    this.ended = true
    this.sent.length = 0
    this.events.onLost(error)
  }

  /** 'A', length, process id (int32), channel (string), payload (string). */
  private notification(buf: Buffer, start: number, end: number): void {
    const nul = buf.indexOf(0, start + 9)
    if (nul < 0 || nul >= end) return // malformed; the framer's length kept the stream in step
    // A copy: the framer reuses its buffer, and subscribers may keep the message until their client
    // is between transactions.
    this.events.onNotification(Buffer.from(buf.subarray(start, end)), buf.toString('utf8', start + 9, nul))
  }

  /** An error answers the oldest request; with none waiting it is the server going away (FATAL). */
  private error(buf: Buffer, start: number, end: number): void {
    const fields = parseErrorFields(buf, start, end)
    const refusal = { sqlstate: fields.get('C') ?? '', message: fields.get('M') ?? '' }
    const head = this.sent[0]
    if (head !== undefined && head.refusal === undefined) head.refusal = refusal
    else log.info('notification listener: the server sent an error', { sqlstate: refusal.sqlstate })
  }
}
