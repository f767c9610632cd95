/**
 * Stand-ins for a client session on the pool side, for tests of a ServerPool without sessions: a
 * checkout waiter that records what it was given, and a reply sink that records what a server
 * connection sent it.
 * @module
 */
import type { GatewayError } from '../../errors.js'
import { serializeQuery } from '../../protocol/frontend.js'
import type { ReplySink } from '../reply-route.js'
import type { ServerConnection } from '../server-conn.js'
import type { CheckoutWaiter, ServerPool } from '../server-pool.js'
import { type BackendMessage, decodeBackend } from './backend-summary.js'
import { notifyChange, until } from './until.js'

/** A checkout waiter that records its answer (and, in `order`, when it came relative to others). */
export class ProbeWaiter implements CheckoutWaiter {
  server?: ServerConnection
  error?: GatewayError

  constructor(
    readonly name = 'waiter',
    /** Shared by several waiters: each appends its name when answered, to check FIFO order. */
    private readonly order?: string[],
  ) {}

  onCheckout(server: ServerConnection): void {
    this.server = server
    this.order?.push(this.name)
    notifyChange()
  }

  onCheckoutError(error: GatewayError): void {
    this.error = error
    this.order?.push(`${this.name}: ${error.code}`)
    notifyChange()
  }

  get answered(): boolean {
    return this.server !== undefined || this.error !== undefined
  }
}

/** Checks a connection out of `pool`; rejects with the pool's error. */
export async function checkout(pool: ServerPool): Promise<ServerConnection> {
  const waiter = new ProbeWaiter()
  pool.checkout(waiter)
  await until(() => waiter.answered, 'a checkout')
  if (waiter.error !== undefined) throw waiter.error
  return waiter.server!
}

/** A reply sink recording replies, ReadyForQuery statuses, parameters and the loss of its server. */
export class ProbeSink implements ReplySink {
  readonly internal = false
  readonly messages: BackendMessage[] = []
  /** Status of each ReadyForQuery that finished this sink's messages ('I', 'T', 'E'). */
  readonly readies: string[] = []
  readonly params: Array<[string, string]> = []
  lost?: { error: GatewayError; reported: boolean }

  onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1)) {
      const length = 1 + buf.readUInt32BE(at + 1)
      this.messages.push(decodeBackend(Buffer.from(buf.subarray(at, at + length))))
    }
    notifyChange()
  }

  onReadyForQuery(status: number, done: boolean): void {
    if (done) this.readies.push(String.fromCharCode(status))
    notifyChange()
  }

  onParameterStatus(name: string, value: string): void {
    this.params.push([name, value])
  }

  onServerLost(error: GatewayError, reported: boolean): void {
    this.lost = { error, reported }
    notifyChange()
  }

  /** Sends `sql` on `server` and resolves with the replies, once answered or once the server is lost. */
  async query(server: ServerConnection, sql: string): Promise<BackendMessage[]> {
    const from = this.messages.length
    const readies = this.readies.length
    server.send(this, serializeQuery(sql))
    await until(() => this.readies.length > readies || this.lost !== undefined, `the reply to ${sql}`)
    return this.messages.slice(from)
  }
}
