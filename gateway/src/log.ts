/**
 * Minimal leveled logger to stderr. Callers never pass passwords; config is redacted before logging.
 * @module
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

let threshold: number = order[(process.env.SKIFF_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? order.info

/** Sets the lowest level that is printed. */
export function setLogLevel(level: LogLevel): void {
  threshold = order[level]
}

function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return
  const extra = fields ? ` ${JSON.stringify(fields)}` : ''
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}\n`)
}

/** The process-wide logger. */
export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
  info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
  error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
}
