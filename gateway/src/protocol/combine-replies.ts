/**
 * One reply that every server sent at the same point of the same request (a RowDescription, a
 * CommandComplete, a ReadyForQuery, a ParseComplete, …), turned into the one message a single server
 * would have sent the client, or into an ErrorResponse when the servers disagree:
 * - RowDescription: server 0's, when every server returns as many columns of the same types
 *   (names, table OIDs and type modifiers may differ; the client decodes by type), else 42804;
 * - ParameterDescription and CopyOutResponse: server 0's, when all are byte for byte the same, else
 *   42804 (a client binds one set of values, or reads one COPY format, for all servers);
 * - CommandComplete: row counts summed (see command-tag.ts), else 0A000;
 * - PortalSuspended where other servers sent CommandComplete: PortalSuspended, since the portal still
 *   has rows on some server (a finished portal answers a further Execute with an empty result);
 * - ReadyForQuery: 'E' if any server's transaction failed, else 'T' if any is in one, else 'I';
 * - ParseComplete, BindComplete, CloseComplete, NoData, EmptyQueryResponse, CopyDone: server 0's;
 * - anything else (CopyInResponse, CopyBothResponse, FunctionCallResponse, a message Postgres does not
 *   send after login) or different message types: 0A000, since no single reply can stand for them.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { serializeCommandComplete, serializeErrorResponse } from './backend.js'
import { BackendCode, TxnStatus } from './codes.js'
import { mergeCommandTags, readCommandTag } from './command-tag.js'
import { MessageReader } from './reader.js'
import { SqlState } from './sqlstate.js'

/** What the client gets for one aligned reply of every server. */
export type CombinedReply =
  /** The message of `server`, as it is. */
  | { readonly kind: 'forward'; readonly server: number }
  /** A new message (a CommandComplete with the summed count). */
  | { readonly kind: 'message'; readonly bytes: Buffer }
  /** The servers disagree: this ErrorResponse goes out instead, and the rest of the request is dropped. */
  | { readonly kind: 'error'; readonly bytes: Buffer }

const B = BackendCode
const FIRST: CombinedReply = { kind: 'forward', server: 0 }
/** Replies without a body (or whose body no server can vary) that every server sends alike. */
const ALIKE = new Set<number>([
  B.ParseComplete,
  B.BindComplete,
  B.CloseComplete,
  B.NoData,
  B.PortalSuspended,
  B.EmptyQueryResponse,
  B.CopyDone,
])
const NAMES = new Map<number, string>(Object.entries(BackendCode).map(([name, code]) => [code, name]))

/** The message type's name as the Postgres docs give it (e.g. "RowDescription"). */
export function backendMessageName(code: number): string {
  return NAMES.get(code) ?? `message '${String.fromCharCode(code)}'`
}

/**
 * Combines `replies` (one whole message per server, in server order; at least one). `names` name the
 * servers in error messages.
 */
export function combineReplies(replies: readonly Buffer[], names: readonly string[]): CombinedReply {
  if (replies.length === 1) return FIRST
  const code = replies[0]![0]!
  const other = replies.findIndex((r) => r[0] !== code)
  if (other >= 0) return combineMixed(replies, names, other)
  if (ALIKE.has(code)) return FIRST
  switch (code) {
    case B.RowDescription:
      return compareEach(replies, names, 'row types', rowTypeDifference)
    case B.ParameterDescription:
      return compareEach(replies, names, 'parameter types', sameBytes)
    case B.CopyOutResponse:
      return compareEach(replies, names, 'COPY formats', sameBytes)
    case B.CommandComplete:
      return combineTags(replies, names)
    case B.ReadyForQuery:
      return combineReady(replies)
    default:
      return notSupported(`${backendMessageName(code)} cannot be combined from several servers`)
  }
}

/** Different message types: only PortalSuspended next to CommandComplete makes sense (see above). */
function combineMixed(replies: readonly Buffer[], names: readonly string[], other: number): CombinedReply {
  const suspended = replies.findIndex((r) => r[0] === B.PortalSuspended)
  if (suspended >= 0 && replies.every((r) => r[0] === B.PortalSuspended || r[0] === B.CommandComplete))
    return { kind: 'forward', server: suspended }
  const a = backendMessageName(replies[0]![0]!)
  const b = backendMessageName(replies[other]![0]!)
  return notSupported(
    `${names[0]} and ${names[other]} answered the same request differently`,
    `${names[0]} sent ${a} where ${names[other]} sent ${b}.`,
  )
}

/** Tells how two replies differ, naming the servers `a` and `b`; undefined when they agree. */
type Difference = (first: Buffer, other: Buffer, a: string, b: string) => string | undefined

/** Server 0's reply when `difference` finds nothing between it and each other server's, else 42804. */
function compareEach(
  replies: readonly Buffer[],
  names: readonly string[],
  subject: string,
  difference: Difference,
): CombinedReply {
  for (let i = 1; i < replies.length; i++) {
    const detail = difference(replies[0]!, replies[i]!, names[0]!, names[i]!)
    if (detail === undefined) continue
    return error(SqlState.DatatypeMismatch, `different ${subject} on ${names[0]} and ${names[i]}`, detail)
  }
  return FIRST
}

const sameBytes: Difference = (first, other, a, b) =>
  first.equals(other) ? undefined : `The message from ${a} is not the same as the one from ${b}.`

/**
 * How two RowDescriptions differ in what a client decodes (column count, type OIDs).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION
 */
const rowTypeDifference: Difference = (first, other, a, b) => {
  const x = new MessageReader(first, 5, first.length)
  const y = new MessageReader(other, 5, other.length)
  const count = x.int16()
  const otherCount = y.int16()
  if (count !== otherCount) return `${a} returns ${columns(count)}, ${b} returns ${columns(otherCount)}.`
  for (let column = 1; column <= count; column++) {
    const name = x.cstring()
    y.cstring()
    x.bytes(6) // table OID, column number
    y.bytes(6)
    const type = x.int32()
    const otherType = y.int32()
    if (type !== otherType)
      return `Column ${column} ("${name}") has type OID ${type} on ${a} and ${otherType} on ${b}.`
    x.bytes(8) // type size, type modifier, format code
    y.bytes(8)
  }
  return undefined
}

const columns = (n: number) => (n === 1 ? '1 column' : `${n} columns`)

function combineTags(replies: readonly Buffer[], names: readonly string[]): CombinedReply {
  const tags = replies.map((r) => readCommandTag(r, 0, r.length))
  const merged = mergeCommandTags(tags)
  if (merged !== undefined) return { kind: 'message', bytes: serializeCommandComplete(merged) }
  const other = tags.findIndex((t) => t !== tags[0])
  return notSupported(
    `${names[0]} and ${names[other]} completed different commands`,
    `${names[0]} sent "${tags[0]}", ${names[other]} sent "${tags[other]}".`,
  )
}

/** Rank of each transaction status: the client must hear of a failed or open transaction anywhere. */
const STATUS_RANK: Record<number, number> = {
  [TxnStatus.Idle]: 0,
  [TxnStatus.InTransaction]: 1,
  [TxnStatus.Failed]: 2,
}

/** The ReadyForQuery of the first server with the most telling status (no new bytes needed). */
function combineReady(replies: readonly Buffer[]): CombinedReply {
  let best = 0
  for (let i = 1; i < replies.length; i++) {
    if ((STATUS_RANK[replies[i]![5]!] ?? 0) > (STATUS_RANK[replies[best]![5]!] ?? 0)) best = i
  }
  return best === 0 ? FIRST : { kind: 'forward', server: best }
}

function notSupported(message: string, detail?: string): CombinedReply {
  return error(SqlState.FeatureNotSupported, message, detail)
}

function error(code: string, message: string, detail?: string): CombinedReply {
  const bytes = serializeErrorResponse({ severity: 'ERROR', code, message, detail })
  return { kind: 'error', bytes }
}
