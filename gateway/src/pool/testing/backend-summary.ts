/**
 * Backend messages as tests read them: framed from what the gateway wrote, each with a short summary
 * (`ReadyForQuery:I`, `DataRow:1`, `ErrorResponse:FATAL:08006`) that makes whole replies easy to compare.
 * @module
 */
import { parseErrorFields, parseParameterStatus } from '../../protocol/backend-decode.js'
import { BackendCode } from '../../protocol/codes.js'
import { MessageFramer } from '../../protocol/framer.js'
import { MessageReader } from '../../protocol/reader.js'

/** One backend message. */
export interface BackendMessage {
  /** Its type byte as a character ('Z', 'E', …). */
  code: string
  /** Its type and the fields tests compare, e.g. `CommandComplete:SELECT 1`. */
  summary: string
  /** The whole message, header included. */
  bytes: Buffer
}

const NAMES = new Map<number, string>(Object.entries(BackendCode).map(([name, code]) => [code, name]))

/** Frames backend bytes as they arrive, chunk by chunk, into {@link BackendMessage}s. */
export class BackendReader {
  private readonly framer = new MessageFramer()

  /** The messages completed by `chunk` (a message split across chunks comes out once whole). */
  read(chunk: Buffer): BackendMessage[] {
    const f = this.framer
    const out: BackendMessage[] = []
    f.push(chunk)
    while (f.next()) out.push(decodeBackend(Buffer.from(f.buffer.subarray(f.start, f.end))))
    return out
  }

  /** Bytes of an incomplete message kept for the next chunk. */
  get pending(): number {
    return this.framer.pending
  }
}

/** Summarizes one whole message. */
export function decodeBackend(bytes: Buffer): BackendMessage {
  const code = bytes[0]!
  const name = NAMES.get(code) ?? `Unknown(${code})`
  return { code: String.fromCharCode(code), summary: summarize(code, name, bytes), bytes }
}

function summarize(code: number, name: string, bytes: Buffer): string {
  const end = bytes.length
  switch (code) {
    case BackendCode.Authentication:
      return `${name}:${bytes.readInt32BE(5)}`
    case BackendCode.ParameterStatus:
      return `${name}:${parseParameterStatus(bytes, 0, end).join('=')}`
    case BackendCode.ReadyForQuery:
      return `${name}:${String.fromCharCode(bytes[5]!)}`
    case BackendCode.CommandComplete:
      return `${name}:${bytes.toString('utf8', 5, end - 1)}`
    case BackendCode.ErrorResponse:
    case BackendCode.NoticeResponse: {
      const fields = errorFields({ bytes })
      return `${name}:${fields.get('V') ?? fields.get('S')}:${fields.get('C')}`
    }
    case BackendCode.DataRow:
      return `${name}:${dataRowValues({ bytes }).join(',')}`
    case BackendCode.RowDescription:
      return `${name}:${columnNames(bytes).join(',')}`
    default:
      return name
  }
}

/** Fields of an ErrorResponse or NoticeResponse, by type letter ('C' SQLSTATE, 'M' message, …). */
export function errorFields(message: { bytes: Buffer }): Map<string, string> {
  return parseErrorFields(message.bytes, 0, message.bytes.length)
}

/** The values of a DataRow, in text; NULL as the string 'NULL'. */
export function dataRowValues(message: { bytes: Buffer }): string[] {
  const r = new MessageReader(message.bytes, 5, message.bytes.length)
  const values: string[] = []
  for (let n = r.int16(); n > 0; n--) {
    const length = r.int32()
    values.push(length < 0 ? 'NULL' : r.bytes(length).toString('utf8'))
  }
  return values
}

function columnNames(bytes: Buffer): string[] {
  const r = new MessageReader(bytes, 5, bytes.length)
  const names: string[] = []
  for (let n = r.int16(); n > 0; n--) {
    names.push(r.cstring())
    r.bytes(18) // table OID, column, type OID, type length, type modifier, format
  }
  return names
}

/** The summaries of `messages`, for one assert.deepEqual over a whole reply. */
export function summaries(messages: readonly BackendMessage[]): string[] {
  return messages.map((m) => m.summary)
}
