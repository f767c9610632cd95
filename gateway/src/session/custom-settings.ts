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
