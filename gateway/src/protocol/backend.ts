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

/** One column of a RowDescription; only the name and type are required (the rest as for a computed column). */
export interface ColumnDescription {
  name: string
  typeOid: number
  /** OID of the table the column comes from, 0 for an expression. */
  tableOid?: number
  /** Attribute number within that table, 0 for an expression. */
  columnNumber?: number
  /** pg_type.typlen: -1 for a varlena type, -2 for a C string. */
  typeSize?: number
  typeModifier?: number
  /** 0 text, 1 binary. */
  format?: number
}

/** RowDescription ('T'). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION */
export function serializeRowDescription(columns: readonly ColumnDescription[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.RowDescription).int16(columns.length)
  for (const c of columns) {
    w.cstring(c.name)
      .int32(c.tableOid ?? 0)
      .int16(c.columnNumber ?? 0)
      .int32(c.typeOid)
      .int16(c.typeSize ?? -1)
      .int32(c.typeModifier ?? -1)
      .int16(c.format ?? 0)
  }
  return w.end().finish()
}

/** DataRow ('D'): each value as text (UTF-8), raw bytes, or null (SQL NULL, length -1). */
export function serializeDataRow(values: readonly (string | Uint8Array | null)[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.DataRow).int16(values.length)
  for (const v of values) {
    if (v === null) w.int32(-1)
    else {
      const bytes = typeof v === 'string' ? Buffer.from(v) : v
      w.int32(bytes.length).bytes(bytes)
    }
  }
  return w.end().finish()
}

/** ParameterDescription ('t'): the type OID of each parameter of a described statement. */
export function serializeParameterDescription(typeOids: readonly number[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.ParameterDescription).int16(typeOids.length)
  for (const oid of typeOids) w.int32(oid)
  return w.end().finish()
}

/** NotificationResponse ('A'): a NOTIFY delivered to a listening session. */
export function serializeNotificationResponse(processId: number, channel: string, payload: string): Buffer {
  const w = new MessageWriter().begin(BackendCode.NotificationResponse).int32(processId)
  return w.cstring(channel).cstring(payload).end().finish()
}

/** CopyOutResponse ('H'): overall format and one format code per column (0 text, 1 binary). */
export function serializeCopyOutResponse(format: number, columnFormats: readonly number[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.CopyOutResponse).byte(format).int16(columnFormats.length)
  for (const f of columnFormats) w.int16(f)
  return w.end().finish()
}

/** CopyData ('d'): one chunk of COPY data. */
export function serializeCopyData(data: Uint8Array): Buffer {
  return new MessageWriter(data.length + 5).begin(BackendCode.CopyData).bytes(data).end().finish()
}

/** A message with no body: ParseComplete, BindComplete, CloseComplete, NoData, PortalSuspended, EmptyQueryResponse, CopyDone. */
function bodiless(code: number): Buffer {
  return new MessageWriter(5).begin(code).end().finish()
}

export const serializeParseComplete = (): Buffer => bodiless(BackendCode.ParseComplete)
export const serializeBindComplete = (): Buffer => bodiless(BackendCode.BindComplete)
export const serializeCloseComplete = (): Buffer => bodiless(BackendCode.CloseComplete)
export const serializeNoData = (): Buffer => bodiless(BackendCode.NoData)
export const serializePortalSuspended = (): Buffer => bodiless(BackendCode.PortalSuspended)
export const serializeEmptyQueryResponse = (): Buffer => bodiless(BackendCode.EmptyQueryResponse)
export const serializeCopyDone = (): Buffer => bodiless(BackendCode.CopyDone)
