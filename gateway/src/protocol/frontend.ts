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

/**
 * PasswordMessage ('p'): the password (or md5 response) as a string. Postgres insists that the body is
 * exactly one NUL-terminated string: no NUL, an inner NUL or bytes after it are all the same error.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth.c recv_password_packet
 * @throws MessageFormatError "invalid password packet size", Postgres's wording (08P01)
 */
export function parsePasswordMessage(buf: Buffer, start: number, end: number): string {
  const body = buf.subarray(start + 5, end)
  if (body.length === 0 || body.indexOf(0) !== body.length - 1)
    throw new MessageFormatError('invalid password packet size')
  return body.toString('utf8', 0, body.length - 1)
}

/**
 * SASLInitialResponse ('p'): the selected mechanism, then the client's initial response: `data` is
 * undefined when the declared length is -1 ("no initial response"). Postgres checks the mechanism before
 * it reads further, so a malformed rest is returned as `formatError` (Postgres's message, 08P01) for the
 * caller to raise after its own mechanism check, rather than thrown.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/libpq/auth-sasl.c CheckSASLAuth
 * @throws MessageFormatError "invalid string in message" when the mechanism name is not NUL-terminated
 */
export function parseSASLInitialResponse(
  buf: Buffer,
  start: number,
  end: number,
): { mechanism: string; data?: Buffer; formatError?: string } {
  const body = buf.subarray(start + 5, end)
  const nul = body.indexOf(0)
  if (nul < 0) throw new MessageFormatError('invalid string in message')
  // Compared byte for byte, as Postgres's strcmp does; latin1 keeps every byte as one character.
  const mechanism = body.toString('latin1', 0, nul)
  const rest = body.length - nul - 5 // bytes after the length word
  const length = rest < 0 ? 0 : body.readInt32BE(nul + 1)
  if (rest < 0 || length < -1 || length > rest)
    return { mechanism, formatError: 'insufficient data left in message' }
  if (Math.max(length, 0) !== rest) return { mechanism, formatError: 'invalid message format' }
  return length < 0 ? { mechanism } : { mechanism, data: body.subarray(nul + 5) }
}

/** SASLResponse ('p'): the raw client-final-message; the whole body is SASL data. */
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

/** CopyFail: ends a COPY FROM STDIN with an error carrying `reason`. */
export function serializeCopyFail(reason: string): Buffer {
  return new MessageWriter().begin(FrontendCode.CopyFail).cstring(reason).end().finish()
}
