/**
 * The fast half of automatic sharding: given where a shape's key values are (a locator, learned once
 * per shape by sharding-key.ts), read them from one text's literal bytes or from its bind parameters,
 * as bigints. No parse, no string unless a value is refused.
 *
 * A value is read as Postgres's `int8in` reads text: optional spaces, a sign, decimal digits, optional
 * spaces, within the int8 range. Newer forms (PostgreSQL 16's `0x…`, `0o…`, `0b…` and `1_000`) and
 * non-integers (`5.0`, `1e3`) are refused with an error rather than guessed. A binary parameter is read
 * as int2, int4 or int8 by its length (2, 4 or 8 bytes, big-endian, signed); any other length is
 * refused, and so is a parameter whose declared type (from Parse) is not an integer or text type.
 * @see https://github.com/postgres/postgres/blob/master/src/backend/utils/adt/int8.c (int8in)
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html (Bind)
 * @module
 */
import { decodeUtf8 } from './identifier.js'
import type { KeyRef, KeysLocator } from './sharding-key.js'
import type { StatementShape } from './statement-shape.js'

/** A Bind's parameters, plus the types Parse declared for them when known. */
export interface BindParams {
  /** Each parameter's bytes, null for SQL NULL. */
  readonly values: readonly (Uint8Array | null)[]
  /** Bind's format codes (0 text, 1 binary): none (all text), one for all, or one per parameter. */
  readonly formats: readonly number[]
  /** Parse's parameter type OIDs; 0 or missing: unspecified (the server infers it). */
  readonly types?: readonly number[]
}

/** Why a key value could not be read; the router refuses the statement with it. */
export interface KeyValueError {
  readonly kind: 'value-error'
  readonly message: string
  readonly hint?: string
}

const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n
/** int2, int4, int8: readable in binary. */
const BINARY_TYPES: ReadonlyMap<number, number> = new Map([
  [21, 2],
  [23, 4],
  [20, 8],
])
/** Declared types whose text is read as int8in reads it: the integers, text, varchar, numeric, unknown. */
const TEXT_TYPES: ReadonlySet<number> = new Set([0, 20, 21, 23, 25, 1043, 1700, 705])
const HINT = 'send the sharding key as an integer literal or an int8 parameter'

/**
 * The values of `locator.refs` in the text whose shape `shape` holds (read from `buf`, the buffer the
 * shape was read from), or the first that cannot be read.
 * @example readShardingKeys({ kind: 'keys', refs: [{ literal: 0, negate: true }] }, buf, shape) // [-5n] for `… id = -5`
 */
export function readShardingKeys(
  locator: Pick<KeysLocator, 'refs'>,
  buf: Uint8Array,
  shape: StatementShape,
  params?: BindParams,
): bigint[] | KeyValueError {
  const keys: bigint[] = []
  for (const ref of locator.refs) {
    const key = 'param' in ref ? paramKey(ref.param, params) : literalKey(ref, buf, shape)
    if (typeof key !== 'bigint') return key
    keys.push(key)
  }
  return keys
}

function literalKey(
  ref: Extract<KeyRef, { literal: number }>,
  buf: Uint8Array,
  shape: StatementShape,
): bigint | KeyValueError {
  if (ref.literal >= shape.literalCount) return refused(`the text has no literal ${ref.literal}`)
  const start = shape.literalStart(ref.literal)
  const end = shape.literalEnd(ref.literal)
  // A number starts with a digit or `.`; anything else the shape calls a literal is a string.
  const c = buf[start]!
  const [from, to] = (c >= 0x30 && c <= 0x39) || c === 0x2e ? [start, end] : body(buf, start, end)
  const key = int8In(buf, from, to, ref.negate)
  if (key !== undefined) return key
  return refused(`the sharding key ${decodeUtf8(buf, start, Math.min(end, start + 64))} is not a bigint`)
}

/** The body of a string literal token: `'…'`, `E'…'`, `N'…'` or `$tag$…$tag$` (others: empty). */
function body(buf: Uint8Array, start: number, end: number): [number, number] {
  const c = buf[start]!
  if (c === 0x27) return [start + 1, end - 1]
  if (c === 0x24) {
    const tagEnd = buf.indexOf(0x24, start + 1) + 1
    return [tagEnd, end - (tagEnd - start)]
  }
  // E'…' (escapes, if any, make it no integer) and N'…'; B'…', X'…', U&'…' are no integer either.
  return c === 0x45 || c === 0x65 || c === 0x4e || c === 0x6e ? [start + 2, end - 1] : [start, start]
}

function paramKey(n: number, params: BindParams | undefined): bigint | KeyValueError {
  const value = params?.values[n - 1]
  if (params === undefined || value === undefined)
    return refused(`the sharding key is $${n}, which is not bound`)
  if (value === null) return refused(`the sharding key $${n} is NULL`)
  const type = params.types?.[n - 1] ?? 0
  const format =
    params.formats.length === 0 ? 0 : params.formats.length === 1 ? params.formats[0] : params.formats[n - 1]
  if (format === 1) return binaryKey(n, value, type)
  if (!TEXT_TYPES.has(type)) return refused(`the sharding key $${n} is declared with type OID ${type}`)
  const key = int8In(value, 0, value.length, false)
  return (
    key ??
    refused(`the sharding key $${n} is not a bigint: ${decodeUtf8(value, 0, Math.min(value.length, 64))}`)
  )
}

function binaryKey(n: number, value: Uint8Array, type: number): bigint | KeyValueError {
  const expected = BINARY_TYPES.get(type)
  if ((type !== 0 && expected !== value.length) || (type === 0 && ![2, 4, 8].includes(value.length))) {
    return refused(`binary parameter $${n} of ${value.length} bytes; send the sharding key as text or int8`)
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  if (value.length === 8) return view.getBigInt64(0)
  return BigInt(value.length === 4 ? view.getInt32(0) : view.getInt16(0))
}

function refused(message: string): KeyValueError {
  return { kind: 'value-error', message, hint: HINT }
}

/** isspace() in the C locale, which int8in skips around the number. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}

/** `buf[start, end)` read as int8in reads text, negated if asked; undefined if it is not an int8. */
export function int8In(buf: Uint8Array, start: number, end: number, negate: boolean): bigint | undefined {
  while (start < end && isSpace(buf[start]!)) start++
  while (end > start && isSpace(buf[end - 1]!)) end--
  if (start < end && (buf[start] === 0x2d || buf[start] === 0x2b)) {
    if (buf[start] === 0x2d) negate = !negate
    start++
  }
  if (start === end) return undefined
  // Up to 15 digits fit a double exactly: one BigInt at the end rather than one per digit.
  let small = 0
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30
    if (d < 0 || d > 9) return undefined
    if (i - start < 15) small = small * 10 + d
  }
  const magnitude = end - start <= 15 ? BigInt(small) : BigInt(decodeUtf8(buf, start, end))
  const key = negate ? -magnitude : magnitude
  return key < INT8_MIN || key > INT8_MAX ? undefined : key
}
