/**
 * Readers and writers for the statement names inside Parse, Bind, Describe and Close, which the
 * gateway rewrites so that each client's named statements map onto gateway-wide names.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { FrontendCode } from './codes.js'
import { MessageFormatError } from './reader.js'
import { MessageWriter } from './writer.js'

/** Offset just past the NUL ending the string that starts at `at`. */
function skipCString(buf: Buffer, at: number, end: number): number {
  const nul = buf.indexOf(0, at)
  if (nul < 0 || nul >= end) throw new MessageFormatError('string is not NUL-terminated')
  return nul + 1
}

/** Parse: the statement name and where the rest (query, parameter types) starts. */
export function readParseName(buf: Buffer, start: number, end: number): { name: string; bodyStart: number } {
  const bodyStart = skipCString(buf, start + 5, end)
  return { name: buf.toString('utf8', start + 5, bodyStart - 1), bodyStart }
}

/** Bind: portal name end and the statement name. */
export function readBindStatement(
  buf: Buffer,
  start: number,
  end: number,
): { portalEnd: number; name: string; nameEnd: number } {
  const portalEnd = skipCString(buf, start + 5, end)
  const nameEnd = skipCString(buf, portalEnd, end)
  return { portalEnd, name: buf.toString('utf8', portalEnd, nameEnd - 1), nameEnd }
}

/** Describe or Close: the target type ('S' statement or 'P' portal) and its name. */
export function readTarget(buf: Buffer, start: number, end: number): { type: number; name: string } {
  const type = buf[start + 5]!
  const nameEnd = skipCString(buf, start + 6, end)
  return { type, name: buf.toString('utf8', start + 6, nameEnd - 1) }
}

/** A Parse message with `name` and an existing body (query + parameter types). */
export function serializeParse(name: string, body: Buffer): Buffer {
  return new MessageWriter(body.length + name.length + 8)
    .begin(FrontendCode.Parse)
    .cstring(name)
    .bytes(body)
    .end()
    .finish()
}

/** A copy of the Bind `buf[start, end)` naming `statement` instead. */
export function rewriteBind(buf: Buffer, start: number, end: number, statement: string): Buffer {
  const { portalEnd, nameEnd } = readBindStatement(buf, start, end)
  const w = new MessageWriter(end - start + statement.length + 1).begin(FrontendCode.Bind)
  w.bytes(buf.subarray(start + 5, portalEnd))
    .cstring(statement)
    .bytes(buf.subarray(nameEnd, end))
  return w.end().finish()
}

/** Describe of a statement or portal. */
export function serializeDescribe(type: number, name: string): Buffer {
  return new MessageWriter().begin(FrontendCode.Describe).byte(type).cstring(name).end().finish()
}

/** Close of a statement or portal. */
export function serializeClose(type: number, name: string): Buffer {
  return new MessageWriter().begin(FrontendCode.Close).byte(type).cstring(name).end().finish()
}

/** 'S': a prepared statement target in Describe and Close. */
export const TARGET_STATEMENT = 0x53
