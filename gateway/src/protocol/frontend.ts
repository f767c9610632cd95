/**
 * Decoders for the frontend messages the gateway must understand (startup, auth) and serializers for
 * the frontend messages it sends as a client of Postgres.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { FrontendCode, StartupCode } from './codes.js'
import { MessageFormatError, MessageReader } from './reader.js'
import { MessageWriter } from './writer.js'

/** What an untagged startup packet asks for. */
export type StartupPacket =
  | { kind: 'startup'; minorVersion: number; params: Map<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number }
  | { kind: 'unsupported-version'; major: number; minor: number }

/** Decodes a startup packet; `buf[start, end)` includes the length word. */
export function parseStartupPacket(buf: Buffer, start: number, end: number): StartupPacket {
  const r = new MessageReader(buf, start + 4, end)
  const code = r.int32()
  if (code === StartupCode.SSLRequest) return { kind: 'ssl' }
  if (code === StartupCode.GSSENCRequest) return { kind: 'gssenc' }
  if (code === StartupCode.CancelRequest)
    return { kind: 'cancel', processId: r.int32(), secretKey: r.int32() }
  if (code >> 16 !== 3) return { kind: 'unsupported-version', major: code >>> 16, minor: code & 0xffff }
  const params = new Map<string, string>()
  for (;;) {
    const name = r.cstring()
    if (name === '') break
    params.set(name, r.cstring())
  }
  if (r.remaining !== 0) throw new MessageFormatError('startup packet has bytes after its terminator')
  return { kind: 'startup', minorVersion: code & 0xffff, params }
}

/** Body of a 'p' message as a string without its NUL (PasswordMessage). */
export function parsePasswordMessage(buf: Buffer, start: number, end: number): string {
  return new MessageReader(buf, start + 5, end).cstring()
}

/** SASLInitialResponse: mechanism name and the client-first-message. */
export function parseSASLInitialResponse(
  buf: Buffer,
  start: number,
  end: number,
): { mechanism: string; data: Buffer } {
  const r = new MessageReader(buf, start + 5, end)
  const mechanism = r.cstring()
  const length = r.int32()
  return { mechanism, data: length < 0 ? Buffer.alloc(0) : r.bytes(length) }
}

/** SASLResponse: the raw client-final-message. */
export function parseSASLResponse(buf: Buffer, start: number, end: number): Buffer {
  return buf.subarray(start + 5, end)
}

export function serializeStartupMessage(params: Record<string, string>): Buffer {
  const w = new MessageWriter().begin(0).int32(StartupCode.ProtocolV3)
  for (const [k, v] of Object.entries(params)) w.cstring(k).cstring(v)
  return w.byte(0).end().finish()
}

export function serializeCancelRequest(processId: number, secretKey: number): Buffer {
  const w = new MessageWriter(16).begin(0).int32(StartupCode.CancelRequest)
  return w.int32(processId).int32(secretKey).end().finish()
}

export function serializePasswordMessage(password: string): Buffer {
  return new MessageWriter().begin(FrontendCode.Password).cstring(password).end().finish()
}

export function serializeSASLInitialResponse(mechanism: string, data: string): Buffer {
  const bytes = Buffer.from(data)
  const w = new MessageWriter().begin(FrontendCode.Password).cstring(mechanism).int32(bytes.length)
  return w.bytes(bytes).end().finish()
}

export function serializeSASLResponse(data: string): Buffer {
  return new MessageWriter().begin(FrontendCode.Password).bytes(Buffer.from(data)).end().finish()
}

export function serializeQuery(sql: string): Buffer {
  return new MessageWriter().begin(FrontendCode.Query).cstring(sql).end().finish()
}

export function serializeSync(): Buffer {
  return new MessageWriter(5).begin(FrontendCode.Sync).end().finish()
}

export function serializeTerminate(): Buffer {
  return new MessageWriter(5).begin(FrontendCode.Terminate).end().finish()
}
