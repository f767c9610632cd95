/**
 * A frontend message as a fake server records it: its type by name and the fields tests assert on
 * (a Query's text, a Parse's name and text, the names in Bind, Describe, Execute and Close).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { FrontendCode, StartupCode } from '../../protocol/codes.js'
import { MessageReader } from '../../protocol/reader.js'

/** One message a fake server received. */
export interface ReceivedMessage {
  /** The message type as the Postgres docs name it ('Query', 'Parse', …, 'Startup', 'CancelRequest'). */
  type: string
  /** Query and Parse: the statement text. */
  sql?: string
  /** Parse: the statement; Bind and Execute: the portal; Describe and Close: the target. */
  name?: string
  /** Bind: the statement it binds. Describe and Close: 'S' (statement) or 'P' (portal). */
  detail?: string
  /** The whole message, header included. */
  bytes: Buffer
}

const NAMES = new Map<number, string>(Object.entries(FrontendCode).map(([name, code]) => [code, name]))

/** Decodes message `buf[start, end)`; `code` 0 is an untagged startup packet. */
export function describeMessage(code: number, buf: Buffer, start: number, end: number): ReceivedMessage {
  const bytes = Buffer.from(buf.subarray(start, end))
  if (code === 0) return { type: startupType(buf.readInt32BE(start + 4)), bytes }
  const r = new MessageReader(buf, start + 5, end)
  const type = NAMES.get(code) ?? `Unknown(${code})`
  switch (code) {
    case FrontendCode.Query:
      return { type, sql: r.cstring(), bytes }
    case FrontendCode.Parse:
      return { type, name: r.cstring(), sql: r.cstring(), bytes }
    case FrontendCode.Bind:
      return { type, name: r.cstring(), detail: r.cstring(), bytes }
    case FrontendCode.Execute:
      return { type, name: r.cstring(), bytes }
    case FrontendCode.Describe:
    case FrontendCode.Close: {
      const detail = String.fromCharCode(r.byte())
      return { type, detail, name: r.cstring(), bytes }
    }
    default:
      return { type, bytes }
  }
}

function startupType(requestCode: number): string {
  if (requestCode === StartupCode.CancelRequest) return 'CancelRequest'
  if (requestCode === StartupCode.SSLRequest) return 'SSLRequest'
  if (requestCode === StartupCode.GSSENCRequest) return 'GSSENCRequest'
  return 'Startup'
}
