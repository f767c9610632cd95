/**
 * Serializers for the backend messages a fake server sends and the gateway never builds itself
 * (it forwards them): row descriptions and data rows, and the extended-protocol acknowledgements.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { BackendCode } from '../../protocol/codes.js'
import { MessageWriter } from '../../protocol/writer.js'

/** Type OIDs the fake uses (pg_type.oid). */
export const TypeOid = {
  bool: 16,
  int4: 23,
  text: 25,
} as const

/** One result column. */
export interface Column {
  name: string
  /** Type OID; see {@link TypeOid}. */
  type: number
}

/** Type lengths as pg_type.typlen gives them (-1: variable). */
function typeLength(type: number): number {
  if (type === TypeOid.bool) return 1
  return type === TypeOid.int4 ? 4 : -1
}

/** RowDescription: every column in text format, with no source table. */
export function rowDescription(columns: readonly Column[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.RowDescription).int16(columns.length)
  for (const c of columns) {
    w.cstring(c.name).int32(0).int16(0) // table OID, column number: not from a table
    w.int32(c.type).int16(typeLength(c.type)).int32(-1).int16(0) // type, length, no modifier, text
  }
  return w.end().finish()
}

/** DataRow: each value in text format; null is SQL NULL. */
export function dataRow(values: ReadonlyArray<string | null>): Buffer {
  const w = new MessageWriter().begin(BackendCode.DataRow).int16(values.length)
  for (const v of values) {
    if (v === null) w.int32(-1)
    else {
      const bytes = Buffer.from(v)
      w.int32(bytes.length).bytes(bytes)
    }
  }
  return w.end().finish()
}

/** ParameterDescription: the type OID of each parameter of a statement. */
export function parameterDescription(types: readonly number[]): Buffer {
  const w = new MessageWriter().begin(BackendCode.ParameterDescription).int16(types.length)
  for (const t of types) w.int32(t)
  return w.end().finish()
}

/** A message with no body. */
function empty(code: number): Buffer {
  return new MessageWriter(5).begin(code).end().finish()
}

/** ParseComplete ('1'): the answer to a Parse. */
export const parseComplete = (): Buffer => empty(BackendCode.ParseComplete)
/** BindComplete ('2'): the answer to a Bind. */
export const bindComplete = (): Buffer => empty(BackendCode.BindComplete)
/** CloseComplete ('3'): the answer to a Close, whether or not the target existed. */
export const closeComplete = (): Buffer => empty(BackendCode.CloseComplete)
/** NoData ('n'): a Describe of a statement that returns no rows. */
export const noData = (): Buffer => empty(BackendCode.NoData)
/** EmptyQueryResponse ('I'): a query string with no statement in it. */
export const emptyQueryResponse = (): Buffer => empty(BackendCode.EmptyQueryResponse)
