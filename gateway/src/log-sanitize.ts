/**
 * What a log record may hold. Values often come from clients (user names, parameter values, server
 * messages that echo them), so every string is cut to {@link MAX_LOGGED_CHARS}, in one place, and a
 * line stays short; a field named like a secret is replaced at any depth, and a password inside a
 * connection string (`postgres://user:PASSWORD@host`, `password=PASSWORD`) is replaced in any string.
 * @module
 */

/** Longest string logged as it is: the message and each string field, at any depth. */
export const MAX_LOGGED_CHARS = 200

/** What stands in for a secret. */
export const REDACTED = '[redacted]'

/**
 * Field names whose values are never logged, compared in lower case without `_` and `-`, by ending:
 * `password`, `admin_password`, `auth_query_password`, `secret`, `client_secret`, `secret_key`, `token`,
 * `api_token`, `authorization`, `cookie`, `api_key`, `credentials`, `passwd`.
 */
const SECRET_NAME = /(password|passwd|secret|secretkey|token|authorization|cookie|apikey|credentials?)$/

/** Nesting deeper than this is written as a placeholder (a log line is not a dump). */
const MAX_DEPTH = 8

/** Whether a field of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[-_]/g, ''))
}

/** `text`, or its first MAX_LOGGED_CHARS characters, an ellipsis and the original length. */
export function capForLog(text: string): string {
  if (text.length <= MAX_LOGGED_CHARS) return text
  return `${text.slice(0, MAX_LOGGED_CHARS)}… (${text.length} chars)`
}

// The password of a URL's user info: `://user:` up to the `@`. Anchored on `://` so the scan stays linear.
const URL_PASSWORD = /(:\/\/[^\s:@/]*:)[^\s@]*@/g
// The same where the text was cut before its `@`: the rest of the text may be the password.
const URL_PASSWORD_CUT = /(:\/\/[^\s:@/]*:)[^\s@]*(@|$)/g
// libpq's keyword/value form, a query string and TOML: `password=…`, `sslpassword='…'`, `?password=…&`,
// `admin_password = "…"`.
const KEYWORD_PASSWORD = /(pass(?:word|wd)\s*=\s*)('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s&;]*)/gi

/**
 * A string fit for a log: passwords of connection strings replaced, then cut to MAX_LOGGED_CHARS.
 * The scrub sees at most twice that much, so a hostile value costs little however long it is.
 */
export function cleanForLog(text: string): string {
  const cut = text.length > 2 * MAX_LOGGED_CHARS
  let window = cut ? text.slice(0, 2 * MAX_LOGGED_CHARS) : text
  if (window.includes('://'))
    window = window.replace(cut ? URL_PASSWORD_CUT : URL_PASSWORD, `$1${REDACTED}${cut ? '$2' : '@'}`)
  if (/pass/i.test(window)) window = window.replace(KEYWORD_PASSWORD, `$1${REDACTED}`)
  if (!cut) return capForLog(window)
  return `${window.slice(0, MAX_LOGGED_CHARS)}… (${text.length} chars)`
}

/**
 * A copy of `value` fit for a log: strings cleaned ({@link cleanForLog}), secret-named fields replaced
 * by {@link REDACTED} at any depth (arrays too), a bigint as text, an Error as its message, a Date
 * in ISO 8601, and anything nested past MAX_DEPTH (or circular) as a placeholder.
 */
export function cleanValue(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      return cleanForLog(value)
    case 'bigint':
      return value.toString()
    case 'function':
    case 'symbol':
      return undefined
    case 'object':
      break
    default:
      return value
  }
  if (value === null) return null
  if (depth >= MAX_DEPTH) return '[nested too deep]'
  if (value instanceof Error) return cleanForLog(String(value))
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`
  if (Array.isArray(value)) return value.map((item) => cleanValue(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[cleanForLog(key)] = isSecretName(key) ? REDACTED : cleanValue(item, depth + 1)
  }
  return out
}

/** The keys of a record that a field must not take over; such a field is written as `_key`. */
const RECORD_KEYS = new Set(['time', 'level', 'msg'])

/** The fields of one log call, cleaned, keys that would clash with the record's own renamed. */
export function cleanFields(fields: Record<string, unknown>): Record<string, unknown> {
  const clean = cleanValue(fields) as Record<string, unknown>
  for (const key of Object.keys(clean)) {
    if (!RECORD_KEYS.has(key)) continue
    clean[`_${key}`] = clean[key]
    delete clean[key]
  }
  return clean
}
