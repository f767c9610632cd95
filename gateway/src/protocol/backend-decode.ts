/**
 * Decoders for the few backend messages that drive the gateway's state. Everything else is forwarded
 * as bytes without being decoded.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { MessageReader } from './reader.js'

/** ParameterStatus ('S'): a run-time parameter's new value. */
export function parseParameterStatus(buf: Buffer, start: number, end: number): [string, string] {
  const r = new MessageReader(buf, start + 5, end)
  return [r.cstring(), r.cstring()]
}

/** BackendKeyData ('K'): the key a CancelRequest must quote. */
export function parseBackendKeyData(buf: Buffer, start: number, end: number): [number, number] {
  const r = new MessageReader(buf, start + 5, end)
  return [r.int32(), r.int32()]
}

/** Authentication ('R'): the request code and its payload (salt, mechanisms or SASL data). */
export function parseAuthentication(buf: Buffer, start: number, end: number): { code: number; data: Buffer } {
  const r = new MessageReader(buf, start + 5, end)
  return { code: r.int32(), data: r.rest() }
}

/** ErrorResponse or NoticeResponse: every field, keyed by its type letter. */
export function parseErrorFields(buf: Buffer, start: number, end: number): Map<string, string> {
  const r = new MessageReader(buf, start + 5, end)
  const fields = new Map<string, string>()
  for (;;) {
    const type = r.byte()
    if (type === 0) break
    fields.set(String.fromCharCode(type), r.cstring())
  }
  return fields
}

/**
 * True when the ErrorResponse `buf[start, end)` is FATAL or PANIC: the server closes the connection
 * after it. Reads the non-localized severity ('V', Postgres 9.6+), else the localized one ('S').
 */
export function isFatalError(buf: Buffer, start: number, end: number): boolean {
  const fields = parseErrorFields(buf, start, end)
  const severity = fields.get('V') ?? fields.get('S')
  return severity === 'FATAL' || severity === 'PANIC'
}

/** The NUL-terminated mechanism names of an AuthenticationSASL payload. */
export function parseSASLMechanisms(data: Buffer): string[] {
  return data
    .toString('utf8')
    .split('\0')
    .filter((m) => m.length > 0)
}

/**
 * DataRow ('D'): each column's value as text (a text-format result, decoded as UTF-8), null for a SQL
 * NULL (length -1). For the gateway's own queries; a client's rows are forwarded undecoded.
 * @throws MessageFormatError when the values run past the message's end
 */
export function parseDataRowText(buf: Buffer, start: number, end: number): Array<string | null> {
  const r = new MessageReader(buf, start + 5, end)
  const count = r.int16()
  const values: Array<string | null> = []
  for (let i = 0; i < count; i++) {
    const length = r.int32()
    values.push(length < 0 ? null : r.bytes(length).toString('utf8'))
  }
  return values
}

/**
 * The result shape a RowDescription `buf[start, end)` describes: each column's name, type OID and type
 * modifier, the parts Postgres compares when it decides that a cached plan changed its result type
 * (table OIDs and format codes are left out: they do not change what a client decodes).
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/cache/plancache.c (RevalidateCachedQuery)
 */
export function rowShape(buf: Buffer, start: number, end: number): string {
  const r = new MessageReader(buf, start + 5, end)
  const count = r.int16()
  let shape = `${count}`
  for (let i = 0; i < count; i++) {
    const name = r.cstring()
    r.bytes(6) // table OID, column number
    const type = r.int32()
    r.int16() // type length: implied by the type
    const modifier = r.int32()
    r.int16() // format code
    shape += `\0${name}\0${type}\0${modifier}`
  }
  return shape
}
