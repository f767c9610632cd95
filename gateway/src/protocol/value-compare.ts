/**
 * How the cross-shard combiner orders and matches values of a text-format result, by type OID, so
 * that the merged result sorts and groups as one server's would:
 * - integers and numeric compare exactly (BigInt, scaled BigInt); float4/float8 by value with NaN
 *   above everything and -0 equal to 0, as float8_cmp_internal does;
 * - date and timestamp(tz) are decoded from the ISO DateStyle (the default); a timestamptz compares
 *   by instant, since the offsets of two values may differ (DST). Another DateStyle is refused when a
 *   value does not read as ISO, rather than compared wrongly;
 * - text, varchar and bpchar compare bytewise, as the C collation does (strcmp on UTF-8), so only when
 *   the query says `COLLATE "C"`; bpchar ignores trailing spaces. name always collates as C;
 * - bool, time, uuid compare bytewise: their text has a fixed layout that sorts as the values do.
 * Equality (GROUP BY, DISTINCT) uses a key per value: the text itself for types whose text is
 * canonical, else a normalized form (numeric 1.0 = 1.00, float -0 = 0, bpchar trailing spaces).
 * Types not listed (interval: '1 day' = '24 hours'; jsonb; citext …) are refused.
 * @see https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-DATETIME-OUTPUT
 * @see https://www.postgresql.org/docs/current/collation.html
 * @module
 */

import { parseFloatText } from './pg-float.js'
import { compareNumeric, normalizeNumeric, parseNumeric } from './pg-numeric.js'

/** Type OIDs (pg_type.oid) the combiner knows. */
export const TypeOid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
} as const

/** A type's order: `decode` once per value, then `compare` decoded values (never NULL). */
export interface ValueOrder<T = unknown> {
  decode(value: Buffer): T
  compare(a: T, b: T): number
}

/** A value cannot be decoded as its type says (e.g. a DateStyle other than ISO). */
export class ValueFormatError extends Error {
  override readonly name = 'ValueFormatError'
}

const T = TypeOid
const INTEGERS = new Set<number>([T.int2, T.int4, T.int8, T.oid])
const TEXTS = new Set<number>([T.text, T.varchar, T.bpchar])
const BYTEWISE = new Set<number>([T.bool, T.time, T.uuid, T.name])

const bytes: ValueOrder<Buffer> = { decode: (v) => v, compare: (a, b) => Buffer.compare(a, b) }
const bpchar: ValueOrder<Buffer> = { decode: trimSpaces, compare: (a, b) => Buffer.compare(a, b) }
const integer: ValueOrder<bigint> = {
  decode: (v) => BigInt(v.toString('latin1')),
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
}
const numeric: ValueOrder = {
  decode: (v) => parseNumeric(v.toString('latin1')),
  compare: (a, b) => compareNumeric(a as never, b as never),
}
const float: ValueOrder<number> = {
  decode: (v) => parseFloatText(v.toString('latin1')),
  compare: compareFloats,
}
const instant: ValueOrder<number[]> = { decode: decodeTimestamp, compare: compareTuples }

/** NaN is larger than any other float and equal to itself (float8_cmp_internal). */
export function compareFloats(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1
  if (Number.isNaN(b)) return -1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The order of type `oid` when `collateC` says whether the expression is `COLLATE "C"`, or why the
 * combiner cannot order it (a sentence for the client's error message).
 */
export function valueOrder(oid: number, collateC: boolean): ValueOrder | string {
  if (INTEGERS.has(oid)) return integer as ValueOrder
  if (oid === T.numeric) return numeric
  if (oid === T.float4 || oid === T.float8) return float as ValueOrder
  if (oid === T.date || oid === T.timestamp || oid === T.timestamptz) return instant as ValueOrder
  if (BYTEWISE.has(oid)) return bytes as ValueOrder
  if (TEXTS.has(oid)) {
    if (!collateC) return 'comparing text across shards needs COLLATE "C"'
    return (oid === T.bpchar ? bpchar : bytes) as ValueOrder
  }
  return `values of type OID ${oid} cannot be compared across shards`
}

/** Types whose text is one per value: equal values print the same bytes. */
const CANONICAL = new Set<number>([...INTEGERS, T.bool, T.bytea, T.name, T.text, T.varchar, T.uuid])
const CANONICAL_TIME = new Set<number>([T.date, T.time, T.timestamp, T.timestamptz])

/** A key that is the same string for values `=` treats as equal, or why there is none. */
export function equalityKey(oid: number): ((value: Buffer) => string) | string {
  if (CANONICAL.has(oid) || CANONICAL_TIME.has(oid)) return (v) => v.toString('latin1')
  if (oid === T.bpchar) return (v) => trimSpaces(v).toString('latin1')
  if (oid === T.numeric) return (v) => normalizeNumeric(parseNumeric(v.toString('latin1')) ?? 'NaN')
  if (oid === T.float4 || oid === T.float8) return (v) => String(parseFloatText(v.toString('latin1')) + 0)
  return `values of type OID ${oid} cannot be matched across shards`
}

function trimSpaces(v: Buffer): Buffer {
  let end = v.length
  while (end > 0 && v[end - 1] === 0x20) end--
  return v.subarray(0, end)
}

function compareTuples(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return 0
}

const ISO =
  /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?)?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/

/**
 * A date or timestamp in ISO DateStyle as [seconds since 1970-01-01 UTC, microseconds]; infinities
 * outside every finite value. Seconds stay below 2^53 for Postgres's whole range (294276 AD).
 */
function decodeTimestamp(value: Buffer): number[] {
  const text = value.toString('latin1')
  if (text === 'infinity') return [Number.POSITIVE_INFINITY, 0]
  if (text === '-infinity') return [Number.NEGATIVE_INFINITY, 0]
  const m = ISO.exec(text)
  if (m === null) throw new ValueFormatError(`"${text}" is not a date or timestamp in the ISO DateStyle`)
  const year = m[12] === undefined ? Number(m[1]) : 1 - Number(m[1])
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]))
  const clock = Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)
  const offset =
    (Number(m[9] ?? 0) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * (m[8] === '-' ? -1 : 1)
  const micros = Number((m[7] ?? '').padEnd(6, '0'))
  return [days * 86400 + clock - offset, micros]
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (astronomical year: 1 BC is 0).
 * @see https://howardhinnant.github.io/date_algorithms.html#days_from_civil
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
