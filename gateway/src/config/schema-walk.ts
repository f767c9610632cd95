/**
 * Read-only introspection of the zod config schema, shared by the docs generator and
 * the unknown-key warnings so both see exactly the keys the parser accepts.
 */
import { z } from 'zod'
import { isLater } from './schema-common.js'

/** What the docs and warnings need to know about one key. */
export interface FieldInfo {
  /** The value schema once defaults, optionals and transforms are peeled off. */
  core: z.ZodType
  hasDefault: boolean
  defaultValue: unknown
  optional: boolean
  description: string
  /** Accepted for PgCat compatibility but not acted on yet (see `later()`). */
  later: boolean
}

/** Peels wrappers off a key's schema, keeping the outermost description and the default. */
export function inspectField(schema: z.ZodType): FieldInfo {
  const info: FieldInfo = {
    core: schema,
    hasDefault: false,
    defaultValue: undefined,
    optional: false,
    description: schema.description ?? '',
    later: isLater(schema),
  }
  let current: z.ZodType = schema
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      info.hasDefault = true
      info.defaultValue = current.def.defaultValue
      current = current.def.innerType as z.ZodType
    } else if (current instanceof z.ZodOptional) {
      info.optional = true
      current = current.def.innerType as z.ZodType
    } else if (current instanceof z.ZodPipe) {
      // `.transform()` ends a pipe with a ZodTransform: the input side describes the TOML value.
      // `z.preprocess()` and `.pipe()` end with the schema that does the validating.
      current = (current.out instanceof z.ZodTransform ? current.in : current.out) as z.ZodType
    } else break
    info.description ||= current.description ?? ''
  }
  info.core = current
  return info
}

/** The keys of a table schema, or undefined when `schema` is not a table. */
export function tableShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const { core } = inspectField(schema)
  return core instanceof z.ZodObject ? (core.shape as Record<string, z.ZodType>) : undefined
}

/** For a map of tables (`pools`, `users`, `shards`), the schema of one entry. */
export function recordEntry(schema: z.ZodType): z.ZodType | undefined {
  const { core } = inspectField(schema)
  return core instanceof z.ZodRecord ? (core.valueType as z.ZodType) : undefined
}

/** True for a TOML table (plain object), false for arrays, dates and scalars. */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}
