/**
 * The log format for a person at a terminal: one line per record,
 * `2026-01-02T03:04:05.678Z INFO  client connected client=3 user=alice address="::1"`.
 * It rewrites the JSON line pino made (after cleaning and redaction), synchronously: pino-pretty would
 * add a dozen packages and ~20 ms to every start for the same line. It runs only when a person reads.
 * @module
 */

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: whatever a terminal may
// take as a new line or a command. JSON.stringify escapes C0 only.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** `text` with every control character written as an escape, so no value starts a line or moves the cursor. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A value written bare when it is plain: letters, digits and `._:/@+,-`; anything else as JSON. */
const BARE = /^[\w.:/@+,-]+$/

function fieldText(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return JSON.stringify(value)
}

// ANSI SGR colours of the level label: grey, green, yellow, red.
const COLOURS: Record<string, string> = { debug: '90', info: '32', warn: '33', error: '31' }

/**
 * One JSON record as a text line (ending in a newline): time, level, message, then `key=value` per
 * field. `colour` wraps the level in an ANSI colour. A line that is not a JSON object passes through.
 */
export function formatTextLine(json: string, colour: boolean): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const { time, level, msg, ...fields } = record
  const label = String(level).toUpperCase().padEnd(5)
  const shown = colour ? `\u001b[${COLOURS[String(level)] ?? '0'}m${label}\u001b[0m` : label
  let rest = ` ${String(msg ?? '')}`
  for (const [key, value] of Object.entries(fields)) rest += ` ${key}=${fieldText(value)}`
  return `${String(time)} ${shown}${escapeControls(rest)}\n`
}
