/**
 * A reply sink for the gateway's own queries on a server connection (cleanup before reuse, SET of a
 * client's parameters, ROLLBACK after a client left). It swallows the replies and reports errors.
 * @module
 */
import type { GatewayError } from '../errors.js'
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import type { ReplySink } from './reply-route.js'

/** Swallows replies; calls `onDone(error?)` at its last ReadyForQuery. */
export class InternalQuery implements ReplySink {
  readonly internal = true
  private error?: string

  constructor(
    private readonly onDone: (error: string | undefined) => void,
    private readonly paramSink?: (name: string, value: string) => void,
  ) {}

  onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; at += 1 + buf.readUInt32BE(at + 1)) {
      if (buf[at] === BackendCode.ErrorResponse && this.error === undefined) {
        const length = 1 + buf.readUInt32BE(at + 1)
        this.error = parseErrorFields(buf, at, at + length).get('M') ?? 'unknown error'
      }
    }
  }

  onReadyForQuery(_status: number, done: boolean): void {
    if (done) this.onDone(this.error)
  }

  onParameterStatus(name: string, value: string): void {
    this.paramSink?.(name, value)
  }

  onServerLost(error: GatewayError, _reported: boolean): void {
    this.onDone(error.message)
  }
}
