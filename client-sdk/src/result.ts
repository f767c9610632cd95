/**
 * Turns a `/sql` answer (Neon's array-mode JSON with raw text cells) into a typed result.
 * @module
 */
import type { TypeParser } from './types.js'

/** A column of a result, as RowDescription describes it. */
export interface FieldDef {
  name: string
  dataTypeID: number
  tableID?: number
  columnID?: number
  dataTypeSize?: number
  dataTypeModifier?: number
  format?: string
}

/** Metadata the gateway sends about a request (Skiff-* response headers), when present. */
export interface ResponseMeta {
  /** `Skiff-Lsn`: the primary's position after this request's writes (read-your-writes). */
  lsn?: string
  /** `Skiff-Tables`: tables the request read. */
  tables?: string[]
  /** `Skiff-Writes`: tables the request wrote. */
  writes?: string[]
  /** `Skiff-Cacheable`: the request only read, with no volatile function. */
  cacheable?: boolean
  /** `Skiff-Read-Only`. */
  readOnly?: boolean
  /** `Skiff-Table-Versions`: versions of the tables read. */
  versions?: Record<string, number>
  /** `Skiff-Cache`: how a Skiff edge adapter served it (`HIT`, `STALE`, `MISS`, `BYPASS`); absent from the gateway. */
  cache?: string
}

/** One statement's result. */
export interface QueryResult<T = Record<string, unknown>> extends ResponseMeta {
  rows: T[]
  fields: FieldDef[]
  /** Rows affected or returned; null for a command without a count (CREATE TABLE). */
  rowCount: number | null
  /** First word of the command tag: SELECT, INSERT, … */
  command: string
}

/** A result in Neon's JSON (rows as arrays of text or null). */
export interface RawResult {
  fields: FieldDef[]
  rows: (string | null)[][]
  command: string
  rowCount: number | null
}

/** Parses the cells; `arrayMode` keeps rows as arrays (drizzle reads them so). */
export function parseResult<T>(
  raw: RawResult,
  parserOf: (oid: number) => TypeParser,
  meta: ResponseMeta,
  arrayMode = false,
): QueryResult<T> {
  const fields = raw.fields ?? []
  const parsers = fields.map((f) => parserOf(f.dataTypeID))
  const rows = (raw.rows ?? []).map((cells) => {
    const values = cells.map((c, i) => (c === null ? null : parsers[i]!(c)))
    if (arrayMode) return values as T
    const row: Record<string, unknown> = {}
    for (let i = 0; i < fields.length; i++) row[fields[i]!.name] = values[i]
    return row as T
  })
  return { ...meta, rows, fields, rowCount: raw.rowCount ?? null, command: raw.command ?? '' }
}

const list = (v: string | null) => (v === null ? undefined : v.split(',').filter((s) => s !== ''))
const bool = (v: string | null) => (v === null ? undefined : v === 'true')

/** Reads the Skiff-* response headers (absent ones stay undefined). */
export function responseMeta(headers: Headers): ResponseMeta {
  const meta: ResponseMeta = {}
  const lsn = headers.get('Skiff-Lsn')
  if (lsn !== null) meta.lsn = lsn
  const tables = list(headers.get('Skiff-Tables'))
  if (tables !== undefined) meta.tables = tables
  const writes = list(headers.get('Skiff-Writes'))
  if (writes !== undefined) meta.writes = writes
  const cacheable = bool(headers.get('Skiff-Cacheable'))
  if (cacheable !== undefined) meta.cacheable = cacheable
  const readOnly = bool(headers.get('Skiff-Read-Only'))
  if (readOnly !== undefined) meta.readOnly = readOnly
  const cache = headers.get('Skiff-Cache')
  if (cache !== null) meta.cache = cache
  const versions = list(headers.get('Skiff-Table-Versions'))
  if (versions !== undefined) {
    meta.versions = {}
    for (const pair of versions) {
      const at = pair.lastIndexOf('=')
      if (at > 0) meta.versions[pair.slice(0, at)] = Number(pair.slice(at + 1))
    }
  }
  return meta
}
