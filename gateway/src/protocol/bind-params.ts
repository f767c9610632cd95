/**
 * The parameter values of a Bind and the parameter types of a Parse, for a router that reads a
 * sharding key from a bind parameter (sql/sharding-key-read.ts takes this shape as `BindParams`).
 * Values are views into the message, not copies.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html (Bind, Parse)
 * @module
 */
import { MessageReader } from './reader.js'

/** A Bind's parameter format codes and values (null: SQL NULL). */
export interface BindValues {
  /** 0 text, 1 binary: none (all text), one (for all), or one per parameter, as sent. */
  readonly formats: number[]
  readonly values: (Buffer | null)[]
}

/**
 * The format codes and values of the Bind message `buf[start, end)` (tag and length included).
 * @throws MessageFormatError when the message is shorter than its counts say
 */
export function readBindParams(buf: Buffer, start: number, end: number): BindValues {
  const r = new MessageReader(buf, start + 5, end)
  r.cstring() // portal
  r.cstring() // statement
  const formats: number[] = []
  for (let n = r.int16(); n > 0; n--) formats.push(r.int16())
  const values: (Buffer | null)[] = []
  for (let n = r.int16(); n > 0; n--) {
    const length = r.int32()
    values.push(length < 0 ? null : r.bytes(length))
  }
  return { formats, values }
}

/**
 * The parameter type OIDs the Parse message `buf[start, end)` declares (0: unspecified; parameters
 * past the list are unspecified too).
 */
export function readParseParamTypes(buf: Buffer, start: number, end: number): number[] {
  const r = new MessageReader(buf, start + 5, end)
  r.cstring() // statement name
  r.cstring() // query
  const types: number[] = []
  for (let n = r.int16(); n > 0; n--) types.push(r.int32() >>> 0)
  return types
}
