/**
 * The values PgCat's routing commands accept, token by token, and the message for one they do not.
 * A value is one token: a plain `'…'` literal or, where PgCat's regex makes the quotes optional, a
 * bare word or number. Other spellings of the same string (`E'…'`, `$$…$$`, `U&'…'`, `"…"`, a literal
 * continued on the next line) are not accepted: PgCat's regexes do not match them either.
 * @see https://github.com/postgresml/pgcat/blob/5b03881/src/query_router.rs#L30-L38
 * @module
 */
import { Ch } from './char-class.js'
import { decodeUtf8 } from './identifier.js'
import { Token } from './lexer.js'

/** The SET commands of PgCat's routing protocol. */
export type RoutingSetKind = 'set-server-role' | 'set-primary-reads' | 'set-shard' | 'set-sharding-key'

/** What each SET accepts, as the gateway should list it in an error. */
export const ROUTING_VALUES: Readonly<Record<RoutingSetKind, readonly string[]>> = {
  'set-server-role': ["'primary'", "'replica'", "'any'", "'auto'", "'default'"],
  'set-primary-reads': ['on', 'off', 'default'],
  'set-shard': ['a shard number', 'any'],
  'set-sharding-key': ['an integer from 0 to 9223372036854775807'],
}

/** The words each SET names itself with, for messages. */
const COMMAND_TEXT: Readonly<Record<RoutingSetKind, string>> = {
  'set-server-role': 'SET SERVER ROLE',
  'set-primary-reads': 'SET PRIMARY READS',
  'set-shard': 'SET SHARD',
  'set-sharding-key': 'SET SHARDING KEY',
}

const ROLES = new Set(['primary', 'replica', 'any', 'auto', 'default'])
const READS = new Set(['on', 'off', 'default'])
const I64_MAX = 2n ** 63n - 1n

/**
 * The value the token `buf[start, end)` of type `t` gives `kind`, folded to lower case, or undefined
 * when PgCat would not accept it.
 */
export function routingValue(
  kind: RoutingSetKind,
  t: Token,
  buf: Uint8Array,
  start: number,
  end: number,
): string | undefined {
  const quoted = t === Token.String && buf[start] === Ch.Quote
  // Bare values are words (on, any) or numbers; the lexer's numbers also hold `.`, `_`, `0x`, `e`,
  // which the checks below refuse.
  if (!quoted && (kind === 'set-server-role' || (t !== Token.Word && t !== Token.Number))) return undefined
  const text = quoted ? decodeUtf8(buf, start + 1, end - 1) : decodeUtf8(buf, start, end)
  // ASCII letters and digits only: a `''` or a continued literal holds a quote and is refused, and
  // nothing non-ASCII can fold onto an accepted value.
  if (!/^[A-Za-z0-9]+$/.test(text)) return undefined
  const value = text.toLowerCase()
  switch (kind) {
    case 'set-server-role':
      return ROLES.has(value) ? value : undefined
    case 'set-primary-reads':
      return READS.has(value) ? value : undefined
    case 'set-shard':
      return value === 'any' || isDigits(value) ? value : undefined
    case 'set-sharding-key':
      return isDigits(value) && BigInt(value) <= I64_MAX ? value : undefined
  }
}

function isDigits(s: string): boolean {
  return /^[0-9]+$/.test(s)
}

/**
 * The error for a value {@link routingValue} refused, worded as Postgres words a bad setting
 * (guc.c: `invalid value for parameter`, with the accepted values in the hint); send it with SQLSTATE
 * 22023 (invalid_parameter_value). PgCat has no message of its own here: it forwards the text.
 */
export function invalidRoutingValueMessage(invalid: { command: RoutingSetKind; value: string }): {
  message: string
  hint: string
} {
  return {
    message: `invalid value for ${COMMAND_TEXT[invalid.command]}: "${invalid.value}"`,
    hint: `Available values: ${ROUTING_VALUES[invalid.command].join(', ')}.`,
  }
}
