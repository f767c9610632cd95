/**
 * A statement's result as Neon's `/sql` JSON: `{fields, rows, command, rowCount, rowAsArray}`. With
 * `Neon-Raw-Text-Output: true` (the driver always sends it) cells stay exactly as Postgres printed them,
 * which the driver's type parsers expect; without it, a few types become JSON values as Neon does.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.4, §1.6
 * @module
 */
import { parse as parseArray } from 'postgres-array'
import type { StatementResult } from './internal-client.js'

/** One column, in the key order Neon writes. */
export interface FieldJson {
  name: string
  dataTypeID: number
  tableID: number
  columnID: number
  dataTypeSize: number
  dataTypeModifier: number
  format: 'text'
}

/** One statement's JSON result. */
export interface ResultJson {
  fields: FieldJson[]
  rows: unknown[]
  command: string
  rowCount: number | null
  rowAsArray: boolean
}

/** Builds the JSON result of one statement. */
export function resultJson(r: StatementResult, arrayMode: boolean, rawText: boolean): ResultJson {
  const fields = r.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: 'text' as const,
  }))
  let rows: unknown[] = r.rows
  if (!rawText) rows = r.rows.map((row) => row.map((cell, i) => toJsonValue(cell, fields[i]!.dataTypeID)))
  if (!arrayMode) rows = (rows as unknown[][]).map((row) => rowObject(row, fields))
  return { fields, rows, ...commandOf(r.tag), rowAsArray: arrayMode }
}

/** The first word of the tag, and its count: the second number of `INSERT 0 n`, else the first. */
export function commandOf(tag: string): { command: string; rowCount: number | null } {
  const words = tag.split(' ')
  const count = words[0] === 'INSERT' ? words[2] : words[1]
  const rowCount = count !== undefined && /^\d+$/.test(count) ? Number(count) : null
  return { command: words[0] ?? '', rowCount }
}

function rowObject(row: unknown[], fields: FieldJson[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  fields.forEach((f, i) => {
    out[f.name] = row[i] // a repeated column name keeps the last value, as in Neon and node-postgres
  })
  return out
}

/** Element type of the array types that are converted; other arrays become arrays of strings. */
const ARRAY_ELEMENT: Record<number, number> = {
  1000: 16,
  1005: 21,
  1007: 23,
  1021: 700,
  1022: 701,
  199: 114,
  3807: 3802,
}
const NUMBER_TYPES = new Set([21, 23, 26, 700, 701])

/**
 * Neon's typed output: bool → boolean, int2/int4/oid/float → number (NaN and infinities stay strings),
 * json/jsonb → embedded JSON, arrays → JSON arrays; int8, numeric and everything else stay strings.
 */
function toJsonValue(cell: string | null, type: number): unknown {
  if (cell === null) return null
  if (type === 16) return cell === 't'
  if (NUMBER_TYPES.has(type)) {
    const n = Number(cell)
    return Number.isFinite(n) ? n : cell
  }
  if (type === 114 || type === 3802) return JSON.parse(cell)
  const element = ARRAY_ELEMENT[type]
  if (element !== undefined) return parseArray(cell, (v) => toJsonValue(v, element))
  if (TEXTUAL_ARRAYS.has(type)) return parseArray(cell)
  return cell
}

/** Array types whose elements stay strings: text[], varchar[], int8[], numeric[], date/time arrays. */
const TEXTUAL_ARRAYS = new Set([1009, 1015, 1016, 1231, 1014, 2951, 1182, 1115, 1185])
