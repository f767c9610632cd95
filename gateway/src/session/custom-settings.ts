/**
 * Names of custom settings (`app.user_id`, `request.jwt.claims`: a dot in the name) a client sets.
 * Postgres lists them nowhere (pg_settings leaves out placeholder variables), so the gateway notes the
 * names it sees in the client's `SET` and `set_config()` and asks the server for exactly those.
 * @see https://www.postgresql.org/docs/current/runtime-config-custom.html
 * @module
 */

/** A client notes at most this many names (each costs a few bytes in its probe). */
const MAX_NAMES = 200

const SET_CONFIG_NAME = /set_config\s*\(\s*'((?:[^']|'')+)'/gi
const SET_NAME = /^\s*set\s+(?:session\s+|local\s+)?("?)([a-z_][\w$]*\.[\w$."]+)\1\s*(?:=|to\b)/i

/** True when statement text `buf[start, end)` begins with SET (what may name a custom setting). */
export function startsWithSet(buf: Buffer, start: number, end: number): boolean {
  let i = start
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x09 || buf[i] === 0x0d)) i++
  return (
    end - i > 4 &&
    (buf[i]! | 0x20) === 0x73 &&
    (buf[i + 1]! | 0x20) === 0x65 &&
    (buf[i + 2]! | 0x20) === 0x74 &&
    (buf[i + 3] === 0x20 || buf[i + 3] === 0x0a || buf[i + 3] === 0x09)
  )
}

/** Adds the custom setting names `text` sets to `into` (lower-cased, as Postgres folds them). */
export function collectCustomNames(text: string, into: Set<string>): void {
  for (const m of text.matchAll(SET_CONFIG_NAME)) add(m[1]!.replaceAll("''", "'"), into)
  const set = SET_NAME.exec(text)
  if (set !== null) add(set[2]!.replaceAll('"', ''), into)
}

function add(name: string, into: Set<string>): void {
  if (!name.includes('.') || into.size >= MAX_NAMES) return
  into.add(name.toLowerCase())
}

const SET_CONFIG_CALL = /set_config\s*\(/gi

/**
 * True when every `set_config(` call in `text` has the literal `true` as its last argument: settings
 * for the current transaction only (PostgREST sets its request's role and claims this way in every
 * transaction), which leave nothing behind, so the transaction needs no probe afterwards. Anything
 * this cannot read for sure (a parameter, an expression, a dollar quote) counts as session-level.
 */
export function onlyLocalSetConfig(text: string): boolean {
  let calls = 0
  for (const m of text.matchAll(SET_CONFIG_CALL)) {
    calls++
    const last = lastArgument(text, m.index + m[0].length)
    if (last === undefined || last.trim().toLowerCase() !== 'true') return false
  }
  return calls > 0
}

/** The text of a call's last argument, from just after its `(`; undefined when unsure. */
function lastArgument(text: string, from: number): string | undefined {
  let depth = 0
  let argStart = from
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (c === "'" || c === '"') {
      const close = closingQuote(text, i, c)
      if (close < 0) return undefined
      i = close
    } else if (c === '$') {
      if (!isDigit(text[i + 1])) return undefined // a dollar quote: unsure ($1 is a parameter)
    } else if (c === '-' || c === '/')
      return undefined // comments: unsure
    else if (c === '(') depth++
    else if (c === ',' && depth === 0) argStart = i + 1
    else if (c === ')') {
      if (depth === 0) return text.slice(argStart, i)
      depth--
    }
  }
  return undefined
}

/** Index of the quote that closes the one at `open` (a doubled quote is part of the text), or -1. */
function closingQuote(text: string, open: number, quote: string): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] !== quote) continue
    if (text[i + 1] === quote) i++
    else return i
  }
  return -1
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
