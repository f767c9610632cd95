/**
 * Serializers for the backend messages the gateway itself sends to clients.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { AuthCode, BackendCode } from './codes.js'
import { MessageWriter } from './writer.js'

/** Fields of an ErrorResponse or NoticeResponse, keyed by Postgres's field type letters. */
export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG'
  code: string
  message: string
  detail?: string
  hint?: string
  /** Source file and routine, where the gateway answers in Postgres's place ('F', 'R'). */
  file?: string
  routine?: string
}

/** @see https://www.postgresql.org/docs/current/protocol-error-fields.html */
function writeFields(w: MessageWriter, f: ErrorFields): void {
  w.byte(0x53).cstring(f.severity) // S
  w.byte(0x56).cstring(f.severity) // V: non-localized severity
  w.byte(0x43).cstring(f.code) // C
  w.byte(0x4d).cstring(f.message) // M
  if (f.detail) w.byte(0x44).cstring(f.detail) // D
  if (f.hint) w.byte(0x48).cstring(f.hint) // H
  if (f.file) w.byte(0x46).cstring(f.file) // F
  if (f.routine) w.byte(0x52).cstring(f.routine) // R
  w.byte(0)
}

export function serializeErrorResponse(fields: ErrorFields): Buffer {
  const w = new MessageWriter().begin(BackendCode.ErrorResponse)
  writeFields(w, fields)
  return w.end().finish()
}

export function serializeNoticeResponse(fields: ErrorFields): Buffer {
  const w = new MessageWriter().begin(BackendCode.NoticeResponse)
  writeFields(w, fields)
  return w.end().finish()
}

export function serializeReadyForQuery(status: number): Buffer {
  return new MessageWriter(6).begin(BackendCode.ReadyForQuery).byte(status).end().finish()
}

export function serializeAuthenticationOk(): Buffer {
  return new MessageWriter(9).begin(BackendCode.Authentication).int32(AuthCode.Ok).end().finish()
}

export function serializeAuthenticationCleartextPassword(): Buffer {
  return new MessageWriter(9)
    .begin(BackendCode.Authentication)
    .int32(AuthCode.CleartextPassword)
    .end()
    .finish()
}

export function serializeAuthenticationMD5Password(salt: Uint8Array): Buffer {
  const w = new MessageWriter(13).begin(BackendCode.Authentication).int32(AuthCode.MD5Password)
  return w.bytes(salt).end().finish()
}

/** AuthenticationSASL: the list of mechanisms, each NUL-terminated, then an empty string. */
export function serializeAuthenticationSASL(mechanisms: string[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.Authentication).int32(AuthCode.SASL)
  for (const m of mechanisms) w.cstring(m)
  return w.byte(0).end().finish()
}

export function serializeAuthenticationSASLContinue(data: string): Buffer {
  const w = new MessageWriter().begin(BackendCode.Authentication).int32(AuthCode.SASLContinue)
  return w.bytes(Buffer.from(data)).end().finish()
}

export function serializeAuthenticationSASLFinal(data: string): Buffer {
  const w = new MessageWriter().begin(BackendCode.Authentication).int32(AuthCode.SASLFinal)
  return w.bytes(Buffer.from(data)).end().finish()
}

export function serializeParameterStatus(name: string, value: string): Buffer {
  return new MessageWriter().begin(BackendCode.ParameterStatus).cstring(name).cstring(value).end().finish()
}

export function serializeBackendKeyData(processId: number, secretKey: number): Buffer {
  const w = new MessageWriter(13).begin(BackendCode.BackendKeyData)
  return w.int32(processId).int32(secretKey).end().finish()
}

export function serializeCommandComplete(tag: string): Buffer {
  return new MessageWriter().begin(BackendCode.CommandComplete).cstring(tag).end().finish()
}

/** NegotiateProtocolVersion: the newest minor version we speak and the `_pq_.` options we ignored. */
export function serializeNegotiateProtocolVersion(newestMinor: number, unrecognized: string[]): Buffer {
  const w = new MessageWriter()
    .begin(BackendCode.NegotiateProtocolVersion)
    .int32(newestMinor)
    .int32(unrecognized.length)
  for (const option of unrecognized) w.cstring(option)
  return w.end().finish()
}
