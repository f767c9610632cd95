/**
 * Reads a pgcat.toml-format file into a validated {@link Config}. Everything that can
 * go wrong becomes a {@link ConfigError} listing every problem at once; oddities that
 * do not stop Skiff (unknown keys, ignored PgCat keys) come back as warnings.
 */
import { readFile } from 'node:fs/promises'
import { parse as parseToml, TomlError } from 'smol-toml'
import { formatIssue, isSecretKey, makeErrorMap, REDACTED } from './issues.js'
import {
  type AuthType,
  type Config,
  configSchema,
  type GeneralConfig,
  type PoolConfig,
  type PoolMode,
  type UserConfig,
} from './schema.js'
import { collectFindings, warningLines } from './warnings.js'

/** A parsed config plus the non-fatal findings about it. */
export interface LoadedConfig {
  config: Config
  /** Lines to log at start: one per unknown key, then one line naming every accepted-but-ignored key. */
  warnings: string[]
  /** The unknown-key messages alone (`check-config --strict` fails on these). */
  unknownKeys: string[]
  /** Paths of the keys set in the file that Skiff accepts but does not act on yet. */
  ignoredKeys: string[]
}

/**
 * Thrown when a config cannot be used. `issues` holds one line per problem, each starting
 * with the key path (`pools.app.users.0.pool_size: ...`); secrets are shown as `<redacted>`.
 * Check with `error.name === 'ConfigError'` across bundle boundaries.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly issues: string[]

  constructor(sourceName: string, issues: string[]) {
    super(`invalid config in ${sourceName}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`)
    this.issues = issues
  }
}

/**
 * Parses and validates config text. `sourceName` (usually the file path) only labels errors.
 * @example
 * const { config, warnings } = parseConfigText(await readFile('skiff.toml', 'utf8'), 'skiff.toml')
 */
export function parseConfigText(text: string, sourceName: string): LoadedConfig {
  const raw = readToml(text, sourceName)
  const result = configSchema.safeParse(raw, { error: makeErrorMap(raw) })
  if (!result.success) throw new ConfigError(sourceName, result.error.issues.map(formatIssue))
  const findings = collectFindings(raw, configSchema)
  return { config: result.data, warnings: warningLines(findings), ...findings }
}

/** Reads, parses and validates a config file. Rejects with a {@link ConfigError}. */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new ConfigError(path, [`${path}: cannot read the file (${code})`])
  }
  return parseConfigText(text, path)
}

function readToml(text: string, sourceName: string): unknown {
  try {
    return parseToml(text)
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    // smol-toml appends the offending source lines, which may hold a password: keep only the first line.
    const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')
    throw new ConfigError(sourceName, [
      `${sourceName}:${error.line}:${error.column}: invalid TOML: ${reason}`,
    ])
  }
}

/**
 * A deep copy of `config` with every value under a key containing "password" replaced by
 * `"<redacted>"`, for `SHOW CONFIG` and logs. Unset passwords stay unset.
 */
export function redactConfig(config: Config): Config {
  return redactValue(config, undefined) as Config
}

function redactValue(value: unknown, key: PropertyKey | undefined): unknown {
  if (value === undefined) return undefined
  if (key !== undefined && isSecretKey(key)) return REDACTED
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined))
  if (value instanceof Date) return new Date(value.getTime())
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]))
}

/** The settings that a user inherits, resolved. */
export interface EffectiveUserSettings {
  pool_mode: PoolMode
  connect_timeout: number
  idle_timeout: number
  server_lifetime: number
  auth_type: AuthType
}

/**
 * Resolves what applies to one user: the user's own value, else the pool's, else `[general]`'s.
 * (`auth_type` has no pool level: user, else general.)
 */
export function effectiveUserSettings(
  pool: PoolConfig,
  user: UserConfig,
  general: GeneralConfig,
): EffectiveUserSettings {
  return {
    pool_mode: user.pool_mode ?? pool.pool_mode,
    connect_timeout: user.connect_timeout ?? pool.connect_timeout ?? general.connect_timeout,
    idle_timeout: user.idle_timeout ?? pool.idle_timeout ?? general.idle_timeout,
    server_lifetime: user.server_lifetime ?? pool.server_lifetime ?? general.server_lifetime,
    auth_type: user.auth_type ?? general.auth_type,
  }
}
