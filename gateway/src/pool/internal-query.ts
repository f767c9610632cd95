/**
 * A reply sink for the gateway's own queries on a server connection (cleanup before reuse, SET of a
 * client's parameters, ROLLBACK after a client left). It swallows the replies and reports errors; the
 * rows variant keeps what its SELECTs return (the server monitor's readings, a commit's LSN).
 * @module
 */
import type { GatewayError } from '../errors.js'
import { parseDataRowText, parseErrorFields } from '../protocol/backend-decode.js'
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

/** Result rows of an internal query: each value as text, null for SQL NULL. */
export type TextRows = ReadonlyArray<ReadonlyArray<string | null>>

/**
 * An internal query that keeps its result rows: `onDone(error, rows)` at its last ReadyForQuery, with
 * the rows of every statement in order. A DataRow that cannot be read is an error.
 */
export class InternalRowsQuery extends InternalQuery {
  private readonly rows: Array<Array<string | null>> = []
  private malformed?: string

  constructor(onDone: (error: string | undefined, rows: TextRows) => void) {
    super((error) => onDone(error ?? this.malformed, this.rows))
  }

  override onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end; ) {
      const next = at + 1 + buf.readUInt32BE(at + 1)
      if (buf[at] === BackendCode.DataRow) this.row(buf, at, next)
      at = next
    }
    super.onServerData(buf, start, end)
  }

  private row(buf: Buffer, start: number, end: number): void {
    try {
      this.rows.push(parseDataRowText(buf, start, end))
    } catch (error) {
      this.malformed ??= `malformed DataRow: ${(error as Error).message}`
    }
  }
}
