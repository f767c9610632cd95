/**
 * The comparison of a Postgres transcript with a Skiff one. After login, replies must be equal byte
 * for byte. The login replies are compared with the normalizations listed here, each for a reason.
 * @module
 */
import { parseParameterStatus } from '../../gateway/src/protocol/backend-decode.js'
import type { RawMessage } from '../helpers/raw-socket.js'
import { describeMessage } from './decode.js'

/**
 * ParameterStatus values at login that may legitimately differ, and why. The set of names must match,
 * and every other value must be equal. None today: application_name used to differ (server connections
 * carried "skiff"); a client now reads its own value, or the server's default when it set none.
 */
export const LOGIN_VALUES_MAY_DIFFER: ReadonlyMap<string, string> = new Map()

const codes = (messages: RawMessage[]): string => messages.map((m) => m.code).join('')

/** Index of the first message whose bytes differ (or that one side lacks). */
function firstDifference(a: RawMessage[], b: RawMessage[]): number {
  let i = 0
  while (i < a.length && i < b.length && a[i]!.body.equals(b[i]!.body)) i++
  return i
}

/** Undefined when both streams are byte-for-byte equal; otherwise a readable account of the first difference. */
export function diffReplies(postgres: RawMessage[], skiff: RawMessage[]): string | undefined {
  const whole = (ms: RawMessage[]) => Buffer.concat(ms.map((m) => m.body))
  if (whole(postgres).equals(whole(skiff))) return undefined
  const i = firstDifference(postgres, skiff)
  return [
    `replies differ: ${postgres.length} messages from Postgres, ${skiff.length} through Skiff`,
    `  postgres codes: ${codes(postgres)}`,
    `  skiff codes:    ${codes(skiff)}`,
    `  first difference at message #${i}:`,
    `    postgres: ${describeMessage(postgres[i])}`,
    `    skiff:    ${describeMessage(skiff[i])}`,
  ].join('\n')
}

function parameters(messages: RawMessage[]): Map<string, string> {
  const entries = messages
    .filter((m) => m.code === 'S')
    .map((m) => parseParameterStatus(m.body, 0, m.body.length))
  return new Map(entries)
}

/**
 * Differences in ParameterStatus: names must match; values too, unless listed in LOGIN_VALUES_MAY_DIFFER
 * and not chosen by the client at startup (a value the client chose must come back as chosen).
 */
function diffParameters(postgres: RawMessage[], skiff: RawMessage[], chosen: string[]): string[] {
  const a = parameters(postgres)
  const b = parameters(skiff)
  const problems: string[] = []
  const names = (m: Map<string, string>) => [...m.keys()].sort().join(', ')
  if (names(a) !== names(b)) problems.push(`parameter names: postgres [${names(a)}], skiff [${names(b)}]`)
  for (const [name, value] of a) {
    const other = b.get(name)
    const mayDiffer = LOGIN_VALUES_MAY_DIFFER.has(name) && !chosen.includes(name)
    if (other !== undefined && other !== value && !mayDiffer)
      problems.push(`parameter ${name}: postgres ${JSON.stringify(value)}, skiff ${JSON.stringify(other)}`)
  }
  return problems
}

/**
 * Undefined when the login replies agree. Normalized, each for a reason:
 * - ParameterStatus order: a client keeps them as a map; Postgres's order is its GUC table's, not
 *   part of the protocol;
 * - ParameterStatus values in LOGIN_VALUES_MAY_DIFFER, unless the client chose them at startup
 *   (`chosen`);
 * - BackendKeyData content: Skiff issues its own process id and secret key, which its cancel handling
 *   maps to the server connection, so only the message's presence and length must match.
 * AuthenticationOk and ReadyForQuery must be byte-equal.
 */
export function diffLogin(
  postgres: RawMessage[],
  skiff: RawMessage[],
  chosen: string[] = [],
): string | undefined {
  const shape = (ms: RawMessage[]) => codes(ms).replace(/S+/g, 'S*')
  const problems: string[] = []
  if (shape(postgres) !== shape(skiff))
    problems.push(`codes: postgres ${codes(postgres)}, skiff ${codes(skiff)}`)
  const keyLengths = (ms: RawMessage[]) => ms.filter((m) => m.code === 'K').map((m) => m.body.length)
  if (keyLengths(postgres).join() !== keyLengths(skiff).join()) problems.push('BackendKeyData lengths differ')
  const fixed = (ms: RawMessage[]) => ms.filter((m) => m.code !== 'S' && m.code !== 'K')
  const rest = diffReplies(fixed(postgres), fixed(skiff))
  if (rest !== undefined) problems.push(`AuthenticationOk/ReadyForQuery: ${rest}`)
  problems.push(...diffParameters(postgres, skiff, chosen))
  return problems.length === 0 ? undefined : `login replies differ:\n  ${problems.join('\n  ')}`
}
