/**
 * The stage between the ReplyMerger's one stream (every shard's rows, concatenated) and the client of
 * a cross-shard read: it turns the concatenated rows into the result one server would give, per the
 * planner's {@link MergeSpec}. Messages pass unchanged, except the first result:
 * - RowDescription: learns the column types; goes out without the hidden columns, or, when the plan
 *   cannot be carried out on those types (text sorted without COLLATE "C", an avg over real, …), an
 *   ErrorResponse 0A000 goes out instead and the rest is dropped up to ReadyForQuery;
 * - DataRow: buffered (copied, so the merger's views may go) up to `maxRowBytes`, past which an
 *   ErrorResponse 54000 goes out and the rest is dropped up to ReadyForQuery;
 * - CommandComplete: the merged rows go out as DataRows (text, as the simple protocol sends), then
 *   `SELECT n` with their count;
 * - ErrorResponse: the buffered rows are discarded and the error goes out.
 * Notices, ParameterStatus and NotificationResponse pass in order (while dropping, only the last two:
 * they are not part of the request). After the result, or ReadyForQuery, everything passes through;
 * `reset(spec)` arms the stage for the next query.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 * @module
 */
import { serializeCommandComplete, serializeDataRow, serializeErrorResponse } from './backend.js'
import { BackendCode as B } from './codes.js'
import { MessageFramer } from './framer.js'
import { MergeRefusal, type Row } from './merge-refusal.js'
import { RowMerger } from './merge-rows.js'
import type { MergeSpec } from './merge-spec.js'
import { MessageReader } from './reader.js'
import { SqlState } from './sqlstate.js'
import { ValueFormatError } from './value-compare.js'

/** Options of a {@link CrossShardResult}. */
export interface CrossShardResultOptions {
  /** Bytes of DataRows buffered before the result is refused with 54000 (default 64 MiB). */
  maxRowBytes?: number
}

const DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024
const HINT = 'Pick a shard with SET SHARD TO or a sharding key, or narrow the query.'

/** Where the stage is in the current request. */
type State = 'before' | 'rows' | 'drop' | 'after'

/** The cross-shard result stage; `push` any split of the merged stream, `emit` gets the client's bytes. */
export class CrossShardResult {
  private readonly framer = new MessageFramer()
  private readonly maxRowBytes: number
  private state: State = 'before'
  private merger?: RowMerger
  private rowBytes = 0
  /** Bytes of the current framer buffer that pass through and have not been emitted yet. */
  private runStart = 0
  private runEnd = 0

  constructor(
    private spec: MergeSpec,
    private readonly emit: (bytes: Buffer) => void,
    options: CrossShardResultOptions = {},
  ) {
    this.maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES
  }

  /** Arms the stage for the next query's result, with its plan. */
  reset(spec: MergeSpec): void {
    this.spec = spec
    this.state = 'before'
    this.merger = undefined
    this.rowBytes = 0
  }

  /** Takes `buf[start, end)`, any part of the merged stream. */
  push(buf: Buffer, start: number, end: number): void {
    const f = this.framer
    f.push(buf.subarray(start, end))
    this.runStart = this.runEnd = 0
    while (f.next()) {
      if (this.take(f.code, f.buffer, f.start, f.end)) {
        if (this.runEnd !== f.start) this.flush()
        if (this.runStart === this.runEnd) this.runStart = f.start
        this.runEnd = f.end
      } else this.flush()
    }
    this.flush()
  }

  private flush(): void {
    if (this.runEnd > this.runStart) this.emit(this.framer.buffer.subarray(this.runStart, this.runEnd))
    this.runStart = this.runEnd = 0
  }

  /** Handles one message; true when it passes through as it is. */
  private take(code: number, buf: Buffer, start: number, end: number): boolean {
    switch (this.state) {
      case 'after':
        return true
      case 'drop':
        if (code === B.ReadyForQuery) this.state = 'after'
        return code === B.ReadyForQuery || code === B.ParameterStatus || code === B.NotificationResponse
      case 'before':
        if (code === B.RowDescription) return this.describe(buf, start, end)
        if (code === B.ReadyForQuery || code === B.ErrorResponse) this.state = 'after'
        return true
      case 'rows':
        return this.inResult(code, buf, start, end)
    }
  }

  private inResult(code: number, buf: Buffer, start: number, end: number): boolean {
    switch (code) {
      case B.DataRow:
        this.rowBytes += end - start
        if (this.rowBytes > this.maxRowBytes)
          this.refuse(SqlState.ProgramLimitExceeded, tooLarge(this.maxRowBytes))
        else this.merger!.add(readRow(Buffer.from(buf.subarray(start, end))))
        return false
      case B.CommandComplete:
        this.complete()
        return false
      case B.ErrorResponse:
      case B.ReadyForQuery:
        this.merger = undefined
        this.state = 'after'
        return true
      default:
        return true
    }
  }

  /** The RowDescription: prepares the merge, sends the visible columns' descriptions. */
  private describe(buf: Buffer, start: number, end: number): boolean {
    const columns = readColumns(buf, start, end)
    try {
      if (columns.some((c) => c.format !== 0)) throw new MergeRefusal('a cross-shard read needs text results')
      this.merger = new RowMerger(
        this.spec,
        columns.map((c) => c.type),
      )
    } catch (error) {
      if (!(error instanceof MergeRefusal)) throw error
      this.refuse(SqlState.FeatureNotSupported, error.message)
      return false
    }
    this.state = 'rows'
    this.flush()
    this.emit(writeColumns(columns.slice(0, columns.length - this.spec.hidden)))
    return false
  }

  private complete(): void {
    let rows: Row[]
    try {
      rows = this.merger!.finish()
    } catch (error) {
      if (!(error instanceof MergeRefusal || error instanceof ValueFormatError)) throw error
      return this.refuse(SqlState.FeatureNotSupported, error.message)
    }
    this.merger = undefined
    this.state = 'after'
    this.flush()
    for (const row of rows) this.emit(serializeDataRow(row))
    this.emit(serializeCommandComplete(`SELECT ${rows.length}`))
  }

  /** Sends an ErrorResponse in place of the result and drops the rest up to ReadyForQuery. */
  private refuse(code: string, message: string): void {
    this.merger = undefined
    this.state = 'drop'
    this.flush()
    this.emit(
      serializeErrorResponse({
        severity: 'ERROR',
        code,
        message: `cross-shard read: ${message}`,
        hint: HINT,
      }),
    )
  }
}

function tooLarge(limit: number): string {
  return `cross-shard result too large to merge (over ${limit} bytes of rows)`
}

/** One column of a RowDescription: its bytes, kept whole, and the fields the stage reads. */
interface Column {
  bytes: Buffer
  type: number
  format: number
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION */
function readColumns(buf: Buffer, start: number, end: number): Column[] {
  const r = new MessageReader(buf, start + 5, end)
  const count = r.int16()
  const columns: Column[] = []
  for (let i = 0; i < count; i++) {
    const from = r.at
    r.cstring()
    r.bytes(6) // table OID, column number
    const type = r.int32()
    r.bytes(6) // type size, type modifier
    const format = r.int16()
    columns.push({ bytes: buf.subarray(from, r.at), type, format })
  }
  return columns
}

function writeColumns(columns: readonly Column[]): Buffer {
  const body = Buffer.concat(columns.map((c) => c.bytes))
  const out = Buffer.allocUnsafe(7 + body.length)
  out[0] = B.RowDescription
  out.writeUInt32BE(6 + body.length, 1)
  out.writeInt16BE(columns.length, 5)
  body.copy(out, 7)
  return out
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DATAROW */
function readRow(message: Buffer): Row {
  const r = new MessageReader(message, 5, message.length)
  const count = r.int16()
  const row: Row = new Array(count)
  for (let i = 0; i < count; i++) {
    const length = r.int32()
    row[i] = length < 0 ? null : r.bytes(length)
  }
  return row
}
