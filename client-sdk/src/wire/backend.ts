/**
 * Backend messages of the Postgres protocol: framing a byte stream into messages, and decoding the
 * ones the SDK reads. Pure: no I/O.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import type { FieldDef } from '../result.js'

const decoder = new TextDecoder()

/** One backend message: its type byte as a character and its body. */
export interface BackendMessage {
  type: string
  body: Uint8Array
}

/** Splits a byte stream (WebSocket frames of any size) into whole messages. */
export class MessageFramer {
  private buf = new Uint8Array(0)

  /** Adds bytes; returns every message now complete. */
  push(chunk: Uint8Array): BackendMessage[] {
    const joined = new Uint8Array(this.buf.length + chunk.length)
    joined.set(this.buf)
    joined.set(chunk, this.buf.length)
    const out: BackendMessage[] = []
    let at = 0
    while (joined.length - at >= 5) {
      const len = new DataView(joined.buffer, joined.byteOffset + at + 1, 4).getInt32(0)
      if (joined.length - at < 1 + len) break
      out.push({ type: String.fromCharCode(joined[at]!), body: joined.subarray(at + 5, at + 1 + len) })
      at += 1 + len
    }
    this.buf = joined.slice(at)
    return out
  }
}

/** Reads fields from a message body. */
export class Reader {
  at = 0
  private view: DataView
  constructor(private readonly body: Uint8Array) {
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  }
  int32(): number {
    const v = this.view.getInt32(this.at)
    this.at += 4
    return v
  }
  int16(): number {
    const v = this.view.getInt16(this.at)
    this.at += 2
    return v
  }
  cstr(): string {
    let end = this.at
    while (end < this.body.length && this.body[end] !== 0) end++
    const s = decoder.decode(this.body.subarray(this.at, end))
    this.at = end + 1
    return s
  }
  rest(): Uint8Array {
    const b = this.body.subarray(this.at)
    this.at = this.body.length
    return b
  }
  text(len: number): string {
    const s = decoder.decode(this.body.subarray(this.at, this.at + len))
    this.at += len
    return s
  }
}

/** ErrorResponse/NoticeResponse field codes, under node-postgres's names. */
const ERROR_FIELDS: Record<string, string> = {
  S: 'severity',
  V: 'severityNonLocalized',
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  p: 'internalPosition',
  q: 'internalQuery',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  F: 'file',
  L: 'line',
  R: 'routine',
}

/** The fields of an ErrorResponse or NoticeResponse. */
export function parseErrorFields(body: Uint8Array): Record<string, string> {
  const r = new Reader(body)
  const out: Record<string, string> = {}
  while (r.at < body.length && body[r.at] !== 0) {
    const code = String.fromCharCode(body[r.at]!)
    r.at++
    const value = r.cstr()
    const name = ERROR_FIELDS[code]
    if (name !== undefined) out[name] = value
  }
  return out
}

/** RowDescription's columns. */
export function parseRowDescription(body: Uint8Array): FieldDef[] {
  const r = new Reader(body)
  const n = r.int16()
  const fields: FieldDef[] = []
  for (let i = 0; i < n; i++) {
    const name = r.cstr()
    const tableID = r.int32()
    const columnID = r.int16()
    const dataTypeID = r.int32()
    const dataTypeSize = r.int16()
    const dataTypeModifier = r.int32()
    const format = r.int16() === 0 ? 'text' : 'binary'
    fields.push({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format })
  }
  return fields
}

/** DataRow's cells as text (null for NULL). */
export function parseDataRow(body: Uint8Array): (string | null)[] {
  const r = new Reader(body)
  const n = r.int16()
  const cells: (string | null)[] = []
  for (let i = 0; i < n; i++) {
    const len = r.int32()
    cells.push(len < 0 ? null : r.text(len))
  }
  return cells
}

/** CommandComplete's tag as Neon reports it: the first word, and the count (INSERT's second number). */
export function parseCommandComplete(body: Uint8Array): { command: string; rowCount: number | null } {
  const tag = new Reader(body).cstr()
  const words = tag.split(' ')
  const last = words.length > 1 ? Number(words[words.length - 1]) : Number.NaN
  return { command: words[0] ?? '', rowCount: Number.isNaN(last) ? null : last }
}

/** An Authentication message: its code, and the rest (salt, mechanisms, SASL data). */
export function parseAuthentication(body: Uint8Array): { code: number; data: Uint8Array } {
  const r = new Reader(body)
  const code = r.int32()
  return { code, data: r.rest() }
}

/** The SASL mechanism names of AuthenticationSASL. */
export function parseMechanisms(data: Uint8Array): string[] {
  const r = new Reader(data)
  const out: string[] = []
  for (let name = r.cstr(); name !== ''; name = r.cstr()) out.push(name)
  return out
}

/** Decodes UTF-8. */
export const utf8 = (b: Uint8Array): string => decoder.decode(b)
