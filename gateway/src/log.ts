/**
 * The process-wide logger: pino, writing one record per line to stderr (stdout is for command output).
 * Not on a terminal it writes JSON (`time`, `level` as a word, `msg`, then the fields); on a terminal,
 * or with format `text`, one readable line ({@link formatTextLine}). Level and format come from
 * `general.log_level` / `general.log_format`, and SKIFF_LOG_LEVEL / SKIFF_LOG_FORMAT override both.
 *
 * Every string is cleaned here, in one place ({@link cleanFields}): cut to MAX_LOGGED_CHARS, fields
 * named like secrets replaced at any depth, passwords in connection strings replaced. pino's own
 * `redact` takes fixed paths only (`a.password`, `*.password`), not "this name at any depth".
 * @module
 */
import { pino } from 'pino'
import { cleanFields, cleanForLog } from './log-sanitize.js'
import { formatTextLine } from './log-text.js'

export { capForLog, MAX_LOGGED_CHARS } from './log-sanitize.js'

/** Lowest level printed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** `auto`: text on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'text'

/** The levels, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
/** The formats. */
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'text']

// Until the config is read (configureLogging), the environment or the defaults.
let format: LogFormat = envChoice('SKIFF_LOG_FORMAT', LOG_FORMATS) ?? 'auto'
const startLevel: LogLevel = envChoice('SKIFF_LOG_LEVEL', LOG_LEVELS) ?? 'info'
/** Rank of each level, and the lowest rank written: a disabled call costs one comparison. */
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
let threshold = RANK[startLevel]

/** Text on a terminal (in colour unless NO_COLOR is set), JSON elsewhere; looked up per line. */
const destination = {
  write(line: string): void {
    // process.stderr.write is looked up each time (tests wrap it); to a file, a pipe or a terminal
    // it writes synchronously on Linux, so a record is never lost to process.exit.
    const tty = process.stderr.isTTY === true
    const text = format === 'text' || (format === 'auto' && tty)
    process.stderr.write(text ? formatTextLine(line, tty && !process.env.NO_COLOR) : line)
  },
}

const logger = pino(
  {
    level: startLevel,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: cleanFields,
    },
  },
  destination,
)

/** The value of `name` in the environment when it is one of `choices`. */
function envChoice<T extends string>(name: string, choices: readonly T[]): T | undefined {
  const value = process.env[name]
  return choices.includes(value as T) ? (value as T) : undefined
}

/** Sets the lowest level that is printed. */
export function setLogLevel(level: LogLevel): void {
  logger.level = level
  threshold = RANK[level]
}

/** Sets the format: `json`, `text`, or `auto` (text on a terminal). */
export function setLogFormat(next: LogFormat): void {
  format = next
}

/**
 * Applies the config's level and format, unless SKIFF_LOG_LEVEL / SKIFF_LOG_FORMAT (in `env`) set
 * them; an environment value that is not a level or format is named in a warning and ignored.
 */
export function configureLogging(
  config: { log_level: LogLevel; log_format: LogFormat },
  env: NodeJS.ProcessEnv = process.env,
): void {
  const level = env.SKIFF_LOG_LEVEL
  const fmt = env.SKIFF_LOG_FORMAT
  setLogLevel(LOG_LEVELS.includes(level as LogLevel) ? (level as LogLevel) : config.log_level)
  setLogFormat(LOG_FORMATS.includes(fmt as LogFormat) ? (fmt as LogFormat) : config.log_format)
  if (level !== undefined && level !== '' && !LOG_LEVELS.includes(level as LogLevel))
    log.warn('SKIFF_LOG_LEVEL is not a level; using general.log_level', { SKIFF_LOG_LEVEL: level })
  if (fmt !== undefined && fmt !== '' && !LOG_FORMATS.includes(fmt as LogFormat))
    log.warn('SKIFF_LOG_FORMAT is not a format; using general.log_format', { SKIFF_LOG_FORMAT: fmt })
}

/** One record, when its level is on: the message cleaned here, the fields by pino's `formatters.log`. */
function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (RANK[level] < threshold) return
  logger[level](fields ?? {}, cleanForLog(message))
}

/** The process-wide logger. */
export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
  info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
  error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
}
