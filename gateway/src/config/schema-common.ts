/**
 * Building blocks shared by the config schema files: value types, enums and the
 * marker for keys that Skiff accepts (for PgCat compatibility) but does not act on yet.
 */
import { z } from 'zod'

/** How a client proves who it is to Skiff. */
export const authTypes = ['scram-sha-256', 'md5', 'trust'] as const
/** Pooling modes, as in PgBouncer and PgCat. */
export const poolModes = ['transaction', 'session'] as const
/** Roles a server can have inside a shard. */
export const serverRoles = ['primary', 'replica'] as const

/**
 * An enum that also accepts other capitalisations and a few aliases.
 * Why: PgCat's serde aliases accept "Primary"/"primary", "MD5"/"md5", and configs written
 * out by PgCat itself use the capitalised variant names.
 */
export function looseEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  aliases: Readonly<Record<string, T[number]>> = {},
) {
  const normalise = (input: unknown): unknown => {
    if (typeof input !== 'string') return input
    const lower = input.toLowerCase()
    return aliases[lower] ?? lower
  }
  return z.preprocess(normalise, z.enum(values))
}

/** Client authentication method (Skiff addition; PgCat only knows md5 and trust). */
export const authTypeSchema = looseEnum(authTypes, { scram: 'scram-sha-256' })
/** `transaction` or `session`. */
export const poolModeSchema = looseEnum(poolModes)
/** `primary` or `replica`. */
export const serverRoleSchema = looseEnum(serverRoles)

/** A TCP port, 1..65535. */
export const portSchema = () => z.number().int().min(1).max(65535)
/** A duration in milliseconds (non-negative integer). */
export const msSchema = () => z.number().int().min(0)
/** A non-negative integer count or size. */
export const countSchema = () => z.number().int().min(0)

/** Metadata key that marks a key as parsed-but-not-acted-on. */
const STATUS_KEY = 'skiffStatus'
/** The usual reason a PgCat key is ignored today. */
export const LATER =
  'Accepted for PgCat compatibility; implemented in a later release (Skiff ignores it today).'

/**
 * Marks a PgCat key that Skiff parses but does not act on yet. The docs show `reason`
 * first and the loader warns when a file sets the key to a non-default value.
 * When the feature lands, replace `later(schema, text)` with `schema.describe(text)`.
 */
export function later<S extends z.ZodType>(schema: S, description: string, reason: string = LATER): S {
  return schema.meta({ description: `${reason} ${description}`, [STATUS_KEY]: 'later' })
}

/** True when `schema` was wrapped with {@link later}. */
export function isLater(schema: z.ZodType): boolean {
  return schema.meta()?.[STATUS_KEY] === 'later'
}

/** Receives one cross-field problem: where it is (key path segments) and how to fix it. */
export type Report = (path: PropertyKey[], message: string) => void

/**
 * Formats a key path the way TOML would address it: `pools.app.users.0`.
 * Segments that are not bare TOML keys (dots, spaces) are quoted so the path stays unambiguous.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => {
      const text = String(segment)
      return /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text)
    })
    .join('.')
}
