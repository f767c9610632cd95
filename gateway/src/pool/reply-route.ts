/**
 * The reply side of a server connection. Every message sent to a server is recorded with the sink that
 * sent it (protocol/outstanding.ts), and each reply goes to the sink of the message it answers: a lent
 * client, or one of the gateway's own queries (reset, SET of client parameters) pipelined ahead of it.
 * @module
 */
import type { GatewayError } from '../errors.js'

/** Receives the replies for the messages it sent. Called synchronously from the server's data handler. */
export interface ReplySink {
  /** The gateway's own query: its command tags do not mark the session dirty. */
  readonly internal: boolean
  /** Replies `buf[start, end)`: whole messages, forwarded as they are. */
  onServerData(buf: Buffer, start: number, end: number): void
  /**
   * After a ReadyForQuery answering one of this sink's messages; `done` when none of its messages
   * remain outstanding on the server.
   */
  onReadyForQuery(status: number, done: boolean): void
  /** A ParameterStatus the server sent while answering this sink (or while it owned the connection). */
  onParameterStatus(name: string, value: string): void
  /**
   * The server connection broke while this sink waited for replies or owned it. `reported`: the server's
   * own FATAL ErrorResponse already reached this sink, so it must not be told twice.
   */
  onServerLost(error: GatewayError, reported: boolean): void
  /**
   * The server answered every message of this sink and now waits for more input in the middle of an
   * extended-protocol batch (no Sync yet, so no ReadyForQuery).
   */
  onBatchIdle?(): void
}
