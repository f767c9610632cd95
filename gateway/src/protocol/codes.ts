/**
 * Message type bytes of the Postgres v3 wire protocol, named as the Postgres docs name them.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */

/** Type bytes of messages a client (frontend) sends. */
export const FrontendCode = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, SASLInitialResponse and SASLResponse all use 'p'. */
  Password: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const
export type FrontendCode = (typeof FrontendCode)[keyof typeof FrontendCode]

/** Type bytes of messages a server (backend) sends. */
export const BackendCode = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const
export type BackendCode = (typeof BackendCode)[keyof typeof BackendCode]

/** Sub-codes of the Authentication ('R') message. */
export const AuthCode = {
  Ok: 0,
  CleartextPassword: 3,
  MD5Password: 5,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const

/** Request codes carried in place of a protocol version in an untagged startup packet. */
export const StartupCode = {
  /** Protocol 3.0 */
  ProtocolV3: 196608,
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const

/** Transaction status byte of ReadyForQuery. */
export const TxnStatus = {
  Idle: 0x49, // I
  InTransaction: 0x54, // T
  Failed: 0x45, // E
} as const
export type TxnStatus = (typeof TxnStatus)[keyof typeof TxnStatus]

const frontendCodes = new Uint8Array(256)
for (const code of Object.values(FrontendCode)) frontendCodes[code] = 1

/** True when `code` is a type byte a client may send after startup. */
export function isFrontendCode(code: number): boolean {
  return frontendCodes[code] === 1
}
