/**
 * Parameters as Postgres text, the way node-postgres prepares them: null/undefined → NULL, Dates as ISO
 * strings, bytes as `\x` hex, arrays as array literals, other objects as JSON, the rest `String(v)`.
 * @module
 */
import { arrayLiteral } from './array-literal.js'

function hex(bytes: Uint8Array): string {
  let s = '\\x'
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/** One parameter as text (or null). */
export function encodeParam(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return hex(value)
  if (value instanceof ArrayBuffer) return hex(new Uint8Array(value))
  if (Array.isArray(value)) return arrayLiteral(value, encodeParam)
  if (typeof value === 'object') {
    const custom = (value as { toPostgres?: () => unknown }).toPostgres
    return typeof custom === 'function' ? encodeParam(custom.call(value)) : JSON.stringify(value)
  }
  return String(value)
}

/** A statement and its bound parameters, ready to send. */
export interface SqlQuery {
  text: string
  params: readonly unknown[]
  /** In a batch: this statement's rows as arrays (over the batch's `arrayMode`). */
  arrayMode?: boolean
}

/** Builds a `$n` statement from a tagged template: every interpolation is a bound parameter. */
export function fromTemplate(strings: TemplateStringsArray, values: readonly unknown[]): SqlQuery {
  let text = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    // Bytes get an explicit cast, as the Neon driver does, so `${bytes}` works without one.
    const cast = v instanceof Uint8Array ? '::bytea' : ''
    text += `$${i + 1}${cast}${strings[i + 1] ?? ''}`
  }
  return { text, params: [...values] }
}
