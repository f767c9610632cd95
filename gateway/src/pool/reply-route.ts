/**
 * The reply side of a server connection: a FIFO of routes, each receiving the server's replies until
 * its own ReadyForQuery count is met. A lent client is one route; the gateway's own queries (reset,
 * SET of client parameters) are routes too, so they can be pipelined ahead of a client's messages.
 * @module
 */
import type { GatewayError } from '../errors.js'

/** Receives the replies for one route. Called synchronously from the server's data handler. */
export interface ReplySink {
  /** Replies `buf[start, end)`: whole messages, forwarded as they are. */
  onServerData(buf: Buffer, start: number, end: number): void
  /** After the ReadyForQuery at the end of a forwarded run; `done` when the route expects no more. */
  onReadyForQuery(status: number, done: boolean): void
  /** A ParameterStatus the server sent while this route was at the head. */
  onParameterStatus(name: string, value: string): void
  /** The server connection broke while this route was waiting. */
  onServerLost(error: GatewayError): void
}

/** One FIFO entry. */
export interface ReplyRoute {
  sink: ReplySink
  /** ReadyForQuery messages still expected (one per Query or Sync sent). */
  pendingSyncs: number
  /** The gateway's own query: its command tags do not mark the session dirty. */
  internal: boolean
}
