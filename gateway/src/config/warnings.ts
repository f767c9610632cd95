/**
 * Non-fatal findings about a config file: unknown keys (ignored, with a "did you mean"
 * hint) and PgCat keys Skiff accepts but does not act on yet. Findings name keys, never values.
 */
import type { z } from 'zod'
import { formatPath } from './schema-common.js'
import { inspectField, isTable, recordEntry, tableShape } from './schema-walk.js'

/** What {@link collectFindings} found in a raw config. */
export interface ConfigFindings {
  /** One message per key the schema does not know, e.g. `unknown key "general.prot" (ignored); did you mean "port"?`. */
  unknownKeys: string[]
  /** Paths of keys set to a non-default value that Skiff accepts but does not act on (`later()` keys). */
  ignoredKeys: string[]
}

/** Walks the raw TOML against the schema and returns the unknown and the ignored keys. */
export function collectFindings(raw: unknown, schema: z.ZodType): ConfigFindings {
  const findings: ConfigFindings = { unknownKeys: [], ignoredKeys: [] }
  walkTable(raw, schema, [], findings)
  return findings
}

/**
 * The warnings to show at start: one per unknown key, then ONE line naming every ignored key
 * (a PgCat file often sets several, and one line per key buries the rest of the log).
 */
export function warningLines({ unknownKeys, ignoredKeys }: ConfigFindings): string[] {
  return ignoredKeys.length === 0 ? unknownKeys : [...unknownKeys, ignoredKeysLine(ignoredKeys)]
}

/** The single warning line for keys Skiff accepts but ignores. */
export function ignoredKeysLine(paths: readonly string[]): string {
  return `${ignoredKeysMessage(paths.length)}: ${paths.join(', ')}`
}

/** The words of {@link ignoredKeysLine} without the list (the logger takes the list as a field). */
export function ignoredKeysMessage(count: number): string {
  const noun = count === 1 ? 'key is' : 'keys are'
  return `${count} ${noun} accepted for PgCat compatibility but not acted on by Skiff yet`
}

function walkTable(raw: unknown, schema: z.ZodType, path: string[], out: ConfigFindings): void {
  const shape = tableShape(schema)
  if (shape === undefined || !isTable(raw)) return
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = [...path, key]
    const field = shape[key]
    if (field === undefined) {
      out.unknownKeys.push(unknownKey(formatPath(keyPath), key, Object.keys(shape)))
      continue
    }
    const info = inspectField(field)
    if (info.later && !(info.hasDefault && sameValue(value, info.defaultValue))) {
      out.ignoredKeys.push(formatPath(keyPath))
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
