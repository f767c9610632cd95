/**
 * Recognizes a simple Query that is exactly one of PgCat's routing commands, which the gateway answers
 * itself (issues 19 and 20): `SET SERVER ROLE TO 'r'`, `SHOW SERVER ROLE`, `SET PRIMARY READS TO v`,
 * `SHOW PRIMARY READS`, `SET SHARD TO n`, `SET SHARDING KEY TO k`, `SHOW SHARD`.
 *
 * What PgCat accepts (query_router.rs `CUSTOM_SQL_REGEXES`, lines 30-38, and its `test_regex_set` /
 * `test_try_execute_command`, lines 1424-1568, at 5b03881), mirrored here: keywords in any case; `TO`
 * only (with `=` the text is not a command); the values
 *
 * | command           | value                                           | quotes          |
 * | ----------------- | ----------------------------------------------- | --------------- |
 * | SET SERVER ROLE   | primary, replica, any, auto, default (any case) | `'…'` required  |
 * | SET PRIMARY READS | on, off, default (any case)                     | `'…'` or none   |
 * | SET SHARD         | decimal digits, or any (any case)               | `'…'` or none   |
 * | SET SHARDING KEY  | decimal digits (a signed 64-bit integer)        | `'…'` or none   |
 *
 * Where this reads more than PgCat's regexes: any whitespace and comments between words (PgCat: single
 * spaces only), any number of empty statements (`;`) around (PgCat: one trailing `;`). Where it reads
 * less: PgCat's optional quotes are independent, so it takes `'1` and `1'`; here an unterminated
 * literal is left to the server. PgCat matches `'ON'` but then compares case-sensitively and leaves
 * primary reads as they were (lines 343-354); here it reads `on`. PgCat panics on a sharding key past
 * i64 (line 299, `unwrap`); here that is an invalid value.
 *
 * What PgCat answers (client.rs `handle_custom_protocol`, lines 1653-1724; messages.rs lines 303-322,
 * 407-430), to a Query message only and only while the client holds no server (line 938: between
 * transactions; in session mode, before its first statement, lines 1166-1171; otherwise the text goes
 * to the server): a SET with CommandComplete tagged `SET SERVER ROLE`, `SET PRIMARY READS`,
 * `SET SHARD` or `SET SHARDING KEY`; a SHOW with one text column named `server role`,
 * `primary reads` or `shard`, one row and CommandComplete `SELECT 1`. The SHOW values (query_router.rs
 * lines 273-292): primary, replica or mirror when a role is set, else auto (query parser on) or any;
 * on or off; the shard or `unset`. Each answer ends with ReadyForQuery `I`. A shard at or past the
 * pool's count gets an ErrorResponse instead (severity FATAL, SQLSTATE 58000, naming the shard and the
 * count; the session stays, on its previous shard).
 * A value PgCat does not accept matches no regex, so PgCat sends the text to the server, which answers
 * 42601 syntax error (at ROLE, PRIMARY or KEY) or, for `SET SHARD TO 'x'`, 42704 unrecognized
 * configuration parameter "shard". Here such a value comes back as `{ kind: 'invalid' }`, so the gateway
 * can answer with the values that are accepted ({@link invalidRoutingValueMessage}).
 * @see https://github.com/postgresml/pgcat/blob/5b03881/src/query_router.rs#L30-L38
 * @module
 */
import { Ch } from './char-class.js'
import { nextSignificant } from './col-id.js'
import { decodeUtf8 } from './identifier.js'
import { Kw, lookupKeyword } from './keywords.js'
import { SqlLexer, Token } from './lexer.js'
import { type RoutingSetKind, routingValue } from './routing-values.js'

export type { RoutingSetKind } from './routing-values.js'
export { invalidRoutingValueMessage, ROUTING_VALUES } from './routing-values.js'

/** The server a session's statements go to until it says otherwise (`default`: the pool's setting). */
export type ServerRole = 'primary' | 'replica' | 'any' | 'auto' | 'default'
/** Whether reads may also go to the primary (`default`: the pool's setting). */
export type PrimaryReads = 'on' | 'off' | 'default'

/** A `SET …` of ours whose value is not one PgCat accepts, as written (`''` when there is none). */
export interface InvalidRoutingValue {
  kind: 'invalid'
  command: RoutingSetKind
  value: string
}

/** One routing command, as the gateway must act on it. */
export type RoutingCommand =
  | { kind: 'set-server-role'; role: ServerRole }
  | { kind: 'show-server-role' }
  | { kind: 'set-primary-reads'; value: PrimaryReads }
  | { kind: 'show-primary-reads' }
  /** `shard`: decimal digits as written, or `any` (PgCat then picks a shard at random). */
  | { kind: 'set-shard'; shard: string }
  /** `key`: decimal digits as written, at most 2^63 - 1. */
  | { kind: 'set-sharding-key'; key: string }
  | { kind: 'show-shard' }
  | InvalidRoutingValue

/** The words after SET or SHOW, by head; the kinds below are in the same order. */
const HEADS = [['server', 'role'], ['primary', 'reads'], ['shard'], ['sharding', 'key']].map((words) =>
  words.map((w) => new TextEncoder().encode(w)),
)
const SET_KINDS = ['set-server-role', 'set-primary-reads', 'set-shard', 'set-sharding-key'] as const
const SHOW_KINDS = ['show-server-role', 'show-primary-reads', 'show-shard', undefined] as const

const lexer = new SqlLexer()

/**
 * The routing command that `buf[start, end)` (a simple Query's text, UTF-8) consists of, or undefined
 * when the text is anything else, so the gateway forwards it. `standardStrings`: the session's
 * standard_conforming_strings (it decides where a `'…'` holding a backslash ends). Costs one keyword
 * lookup when the first word is neither SET nor SHOW, and one word comparison more when it is.
 */
export function parseRoutingCommand(
  buf: Uint8Array,
  start: number,
  end: number,
  standardStrings = true,
): RoutingCommand | undefined {
  const lx = lexer.reset(buf, start, end, standardStrings)
  let t = skipEmpty(lx)
  const verb = t === Token.Word ? lookupKeyword(buf, lx.start, lx.pos) : 0
  if (verb !== Kw.set && verb !== Kw.show) return undefined
  const head = readHead(lx)
  if (head < 0) return undefined
  if (verb === Kw.show) {
    const kind = SHOW_KINDS[head]
    return kind && skipEmpty(lx) === Token.End && !lx.unterminated ? { kind } : undefined
  }
  t = nextSignificant(lx)
  if (t !== Token.Word || lookupKeyword(buf, lx.start, lx.pos) !== Kw.to) return undefined
  // The value: every token up to the statement's end. One statement only: a second is left to the
  // server, as in PgCat (its regexes are anchored at both ends).
  let count = 0
  let valueStart = lx.pos
  let valueEnd = lx.pos
  let first: Token = Token.End
  for (;;) {
    t = nextSignificant(lx)
    if (lx.unterminated) return undefined
    if (t === Token.End || (t === Token.Punct && lx.byte === Ch.Semicolon)) break
    if (count++ === 0) {
      first = t
      valueStart = lx.start
    }
    valueEnd = lx.pos
  }
  if (t !== Token.End && (skipEmpty(lx) !== Token.End || lx.unterminated)) return undefined
  const kind = SET_KINDS[head]!
  const value = count === 1 ? routingValue(kind, first, buf, valueStart, valueEnd) : undefined
  if (value === undefined)
    return { kind: 'invalid', command: kind, value: decodeUtf8(buf, valueStart, valueEnd) }
  switch (kind) {
    case 'set-server-role':
      return { kind, role: value as ServerRole }
    case 'set-primary-reads':
      return { kind, value: value as PrimaryReads }
    case 'set-shard':
      return { kind, shard: value }
    case 'set-sharding-key':
      return { kind, key: value }
  }
}

/** {@link parseRoutingCommand} of a string. */
export function parseRoutingSql(text: string, standardStrings = true): RoutingCommand | undefined {
  const buf = Buffer.from(text, 'utf8')
  return parseRoutingCommand(buf, 0, buf.length, standardStrings)
}

/**
 * The words after SET or SHOW: 0 SERVER ROLE, 1 PRIMARY READS, 2 SHARD, 3 SHARDING KEY, -1 none of
 * them. Comments may stand between them; quoted identifiers do not count (PgCat: bare words only).
 */
function readHead(lx: SqlLexer): number {
  if (nextSignificant(lx) !== Token.Word) return -1
  for (let head = 0; head < HEADS.length; head++) {
    const [first, second] = HEADS[head]!
    if (!isWord(lx, first!)) continue
    return second === undefined || (nextSignificant(lx) === Token.Word && isWord(lx, second)) ? head : -1
  }
  return -1
}

/** True when the Word token just read is `lower` (ASCII, any case). */
function isWord(lx: SqlLexer, lower: Uint8Array): boolean {
  if (lx.pos - lx.start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) if ((lx.buf[lx.start + i]! | 0x20) !== lower[i]) return false
  return true
}

/** The next token that is neither a comment nor a `;` (an empty statement). */
function skipEmpty(lx: SqlLexer): Token {
  for (;;) {
    const t = nextSignificant(lx)
    if (lx.unterminated || t !== Token.Punct || lx.byte !== Ch.Semicolon) return t
  }
}
