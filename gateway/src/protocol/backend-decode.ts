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

/** The NUL-terminated mechanism names of an AuthenticationSASL payload. */
export function parseSASLMechanisms(data: Buffer): string[] {
  return data
    .toString('utf8')
    .split('\0')
    .filter((m) => m.length > 0)
}
