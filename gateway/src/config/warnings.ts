/**
 * Non-fatal findings about a config file: unknown keys (ignored, with a "did you mean"
 * hint) and PgCat keys Skiff accepts but does not act on yet. Warnings name keys, never values.
 */
import type { z } from 'zod'
import { formatPath } from './schema-common.js'
import { inspectField, isTable, recordEntry, tableShape } from './schema-walk.js'

/** Walks the raw TOML against the schema and returns one warning per finding. */
export function collectWarnings(raw: unknown, schema: z.ZodType): string[] {
  const warnings: string[] = []
  walkTable(raw, schema, [], warnings)
  return warnings
}

function walkTable(raw: unknown, schema: z.ZodType, path: string[], out: string[]): void {
  const shape = tableShape(schema)
  if (shape === undefined || !isTable(raw)) return
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = [...path, key]
    const field = shape[key]
    if (field === undefined) {
      out.push(unknownKey(formatPath(keyPath), key, Object.keys(shape)))
      continue
    }
    const info = inspectField(field)
    if (info.later && !(info.hasDefault && sameValue(value, info.defaultValue))) {
      out.push(
        `key "${formatPath(keyPath)}" is accepted for PgCat compatibility but Skiff does not act on it yet`,
      )
    }
    const entry = recordEntry(field)
    if (entry !== undefined && isTable(value)) {
      for (const [name, item] of Object.entries(value)) walkTable(item, entry, [...keyPath, name], out)
    } else {
      walkTable(value, field, keyPath, out)
    }
  }
}

function unknownKey(path: string, key: string, known: string[]): string {
  const suggestion = nearest(key, known)
  const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`
  return `unknown key "${path}" (ignored)${hint}`
}

/** The known key closest to `key`, if it is close enough to be a plausible typo. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 4))
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase())
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance }
  }
  return best?.name
}

/** Levenshtein distance where swapping two neighbouring letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
