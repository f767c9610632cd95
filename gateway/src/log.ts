/**
 * Minimal leveled logger to stderr. Callers never pass passwords; config is redacted before logging.
 * Values often come from clients (user names, parameter values, server messages that echo them), so
 * every string is cut to {@link MAX_LOGGED_CHARS} here, in one place, and a line stays short.
 * @module
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

let threshold: number = order[(process.env.SKIFF_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? order.info

/** Longest string logged as it is: the message and each string field, at any depth. */
export const MAX_LOGGED_CHARS = 200

/** Sets the lowest level that is printed. */
export function setLogLevel(level: LogLevel): void {
  threshold = order[level]
}

/** `text`, or its first MAX_LOGGED_CHARS characters, an ellipsis and the original length. */
export function capForLog(text: string): string {
  if (text.length <= MAX_LOGGED_CHARS) return text
  return `${text.slice(0, MAX_LOGGED_CHARS)}… (${text.length} chars)`
}

/** Caps strings; a bigint (which JSON.stringify throws on) is written as text. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return capForLog(value)
  if (typeof value === 'bigint') return value.toString()
  return value
}

function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return
  const extra = fields ? ` ${JSON.stringify(fields, replacer)}` : ''
  // Fields are JSON (escaped); the message is escaped here, so no value can start a forged line.
  const text = capForLog(message).replace(/\r/g, '\\r').replace(/\n/g, '\\n')
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${text}${extra}\n`)
}

/** The process-wide logger. */
export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
  info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
  error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
}
