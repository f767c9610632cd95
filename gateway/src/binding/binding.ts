/**
 * What serves a client's request: a binding. `Direct` lends one server connection (the common path),
 * `Local` answers without any server (the gateway's own replies; later SHOW SERVER ROLE, SET SHARD TO,
 * the admin console), `MultiShard` sends the request to several servers and merges their replies. The
 * session talks to all three through these two interfaces, so a route decision can pick any of them
 * per transaction.
 * @module
 */
import type { GatewayError } from '../errors.js'

/** What a binding reports to the client session it serves. */
export interface BindingClient {
  /** Reply bytes `buf[start, end)` (whole messages) for the client, in order. */
  reply(buf: Buffer, start: number, end: number): void
  /**
   * After a ReadyForQuery the client received; `done` when nothing the client sent is still to be
   * answered (a pipeline may hold more).
   */
  onReadyForQuery(status: number, done: boolean): void
  /** A server reported a parameter value while serving the client. */
  onParameterStatus(name: string, value: string): void
  /**
   * A server broke while serving the client. `reported`: the server's own FATAL already reached the
   * client, so it must not be told twice.
   */
  onServerLost(error: GatewayError, reported: boolean): void
  /** Every message was answered and the servers wait for more in the middle of a batch (no Sync yet). */
  onBatchIdle(): void
  /** No server could be had: `error` answers each of the client's `syncs` waiting requests. */
  onBindFailed(error: GatewayError, syncs: number): void
}

/** One way of serving requests. */
export interface Binding {
  readonly kind: 'direct' | 'local' | 'multi-shard'
  /** Sends whole client messages; `syncs` counts the Query/Sync/FunctionCall among them. */
  send(bytes: Buffer, syncs: number): void
  /** True while replies are still owed to the client. */
  readonly busy: boolean
  /** The transaction status of the last ReadyForQuery the client got through this binding. */
  readonly txnStatus: number
  /** Asks the servers to cancel what they run for the client. */
  cancel(): void
  /** Stops (or restarts) reading replies while the client's socket is full. */
  pause(): void
  resume(): void
  /** The transaction ended cleanly: servers go back to their pools. */
  release(): void
  /** The client left: servers go back (rolled back, reset) or are closed. */
  close(): void
}
