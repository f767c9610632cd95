/**
 * Text-format value parsers, as node-postgres (pg-types) parses them by default: int8 and numeric stay
 * strings (unless `bigint: true`), timestamps become Dates, json is parsed, bytea becomes bytes.
 * Overridable per type OID.
 * @see https://github.com/brianc/node-pg-types (the defaults mirrored here)
 * @module
 */
import { parseArray } from './array-literal.js'

/** Parses one non-null text cell. */
export type TypeParser = (text: string) => unknown

/** Per-OID parsers that replace the defaults, e.g. `{ 1184: (s) => s }` to keep timestamptz as text. */
export type TypeOverrides = Record<number, TypeParser>

/** Type OIDs (pg_type.oid) the SDK parses. */
export const Oid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const

const parseBool: TypeParser = (s) =>
  s === 't' || s === 'true' || s === 'y' || s === 'yes' || s === 'on' || s === '1'
const parseInteger: TypeParser = (s) => Number.parseInt(s, 10)
const parseFloatText: TypeParser = (s) => Number.parseFloat(s)
const parseJson: TypeParser = (s) => JSON.parse(s)

/** `\x0102` (hex output) to bytes: a Buffer where one exists (Node), else a Uint8Array. */
export const parseBytea: TypeParser = (s) => {
  const hex = s.startsWith('\\x') ? s.slice(2) : ''
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  const B = (globalThis as { Buffer?: { from(b: Uint8Array): Uint8Array } }).Buffer
  return B ? B.from(bytes) : bytes
}

const TIMESTAMP =
  /^(\d{1,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,})?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?(?::(\d{2}))?)?( BC)?$/

/**
 * A date, timestamp or timestamptz as a Date: local time when the text has no offset, fractions cut to
 * milliseconds, and `infinity`/`-infinity` as the numbers Infinity/-Infinity (all as pg-types does).
 */
export const parseDate: TypeParser = (s) => {
  if (s === 'infinity') return Number.POSITIVE_INFINITY
  if (s === '-infinity') return Number.NEGATIVE_INFINITY
  const m = TIMESTAMP.exec(s)
  if (m === null) return null
  let year = Number(m[1])
  if (m[13] !== undefined) year = 1 - year
  const month = Number(m[2]) - 1
  const ms = m[7] === undefined ? 0 : Number(`${m[7].slice(1)}00`.slice(0, 3))
  const parts = [
    year,
    month,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    ms,
  ] as const
  if (m[8] === undefined && m[9] === undefined) {
    const d = new Date(...parts)
    if (year < 100) d.setFullYear(year)
    return d
  }
  let t = Date.UTC(...parts)
  if (year < 100) t = new Date(t).setUTCFullYear(year)
  if (m[9] !== undefined) {
    const offset = (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) * 1000
    t -= m[9] === '-' ? -offset : offset
  }
  return new Date(t)
}

const arrayOf =
  (element: TypeParser): TypeParser =>
  (s) =>
    parseArray(s, element)
const identity: TypeParser = (s) => s

/** The default parsers by OID; anything else stays the string Postgres sent. */
function defaults(bigint: boolean): Map<number, TypeParser> {
  const int8: TypeParser = bigint ? (s) => BigInt(s) : identity
  const scalar: [number, TypeParser][] = [
    [16, parseBool],
    [17, parseBytea],
    [20, int8],
    [21, parseInteger],
    [23, parseInteger],
    [26, parseInteger],
    [114, parseJson],
    [3802, parseJson],
    [700, parseFloatText],
    [701, parseFloatText],
    [1082, parseDate],
    [1114, parseDate],
    [1184, parseDate],
  ]
  const arrays: [number, TypeParser][] = [
    [1000, parseBool],
    [1001, parseBytea],
    [1016, int8],
    [1005, parseInteger],
    [1007, parseInteger],
    [1028, parseInteger],
    [199, parseJson],
    [3807, parseJson],
    [1021, parseFloatText],
    [1022, parseFloatText],
    [1182, parseDate],
    [1115, parseDate],
    [1185, parseDate],
    [1231, identity],
    [1009, identity],
    [1015, identity],
    [1014, identity],
    [2951, identity],
  ]
  return new Map([...scalar, ...arrays.map(([oid, p]): [number, TypeParser] => [oid, arrayOf(p)])])
}

/** Picks the parser of each OID: overrides first, then the defaults, then text as it came. */
export function typeParsers(options: {
  bigint?: boolean
  types?: TypeOverrides
}): (oid: number) => TypeParser {
  const table = defaults(options.bigint === true)
  for (const [oid, parser] of Object.entries(options.types ?? {})) table.set(Number(oid), parser)
  return (oid) => table.get(oid) ?? identity
}

/** `parserOf` with per-call overrides on top (or as it is without any). */
export function withOverrides(
  parserOf: (oid: number) => TypeParser,
  types: TypeOverrides | undefined,
): (oid: number) => TypeParser {
  return types === undefined ? parserOf : (oid) => types[oid] ?? parserOf(oid)
}
