/**
 * Builds docs/config.md from the zod schema, so the reference can never drift from what
 * the parser accepts. Run `npm run config:docs` after changing any schema*.ts file.
 */
import { z } from 'zod'
import { configSchema } from './schema.js'
import { inspectField, recordEntry, tableShape } from './schema-walk.js'

/** One TOML table in the reference, e.g. `pools.<database>.users.<index>`. */
interface TableDoc {
  path: string[]
  intro: string
  fields: [string, z.ZodType][]
}

/** Placeholder shown for the user-chosen key of each map of tables. */
const PLACEHOLDERS: Record<string, string> = { pools: '<database>', users: '<index>', shards: '<index>' }
const TITLES: Record<string, string> = {
  general: 'General',
  http: 'HTTP and WebSocket',
  pools: 'Pools',
  users: 'Users',
  shards: 'Shards',
}

const HEADER = `# Skiff configuration reference

<!-- Generated from gateway/src/config/schema*.ts by infra/scripts/gen-config-docs.ts. Do not edit by hand: run \`npm run config:docs\`. -->

Skiff reads PgCat's \`pgcat.toml\` format: the same tables, key names and defaults, so an existing PgCat file loads unchanged. Keys that PgCat does not have are marked "Skiff addition". Keys marked "Accepted for PgCat compatibility" are parsed but have no effect yet; Skiff warns when a file sets one. Unknown keys are ignored with a warning that suggests the closest known key. Durations are in milliseconds unless the description says seconds.

Commented examples: \`infra/config/skiff.example.toml\` (everything) and \`infra/config/skiff.minimal.toml\` (the least that works).
`

/**
 * Renders the Markdown reference: one section per TOML table (General, Pools, Users,
 * Shards, then any other top-level keys), one row per key with its type, default and description.
 */
export function renderConfigReference(): string {
  const tables = collectTables(configSchema, [], '')
  // The root only holds leftovers such as `plugins`; list it after the main tables.
  const ordered = [...tables.filter((t) => t.path.length > 0), ...tables.filter((t) => t.path.length === 0)]
  return [HEADER, ...ordered.map(renderTable)].join('\n')
}

function collectTables(schema: z.ZodType, path: string[], intro: string): TableDoc[] {
  const table: TableDoc = { path, intro, fields: [] }
  const nested: TableDoc[] = []
  for (const [key, field] of Object.entries(tableShape(schema) ?? {})) {
    const entry = recordEntry(field)
    const description = inspectField(field).description
    if (entry !== undefined && tableShape(entry) !== undefined) {
      nested.push(...collectTables(entry, [...path, key, PLACEHOLDERS[key] ?? '<name>'], description))
    } else if (tableShape(field) !== undefined) {
      nested.push(...collectTables(field, [...path, key], description))
    } else {
      table.fields.push([key, field])
    }
  }
  return table.fields.length > 0 ? [table, ...nested] : nested
}

function renderTable(table: TableDoc): string {
  const named = table.path.filter((segment) => !segment.startsWith('<'))
  const last = named.at(-1)
  const title = last === undefined ? 'Other top-level keys' : (TITLES[last] ?? last)
  const where = table.path.length > 0 ? `Table \`[${table.path.join('.')}]\`. ` : 'Keys outside any table. '
  const rows = table.fields.map(([key, field]) => renderRow(key, field))
  return [
    `## ${title}`,
    '',
    cell(`${where}${table.intro}`.trim()),
    '',
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}

function renderRow(key: string, field: z.ZodType): string {
  const info = inspectField(field)
  const fallback = info.hasDefault
    ? code(JSON.stringify(info.defaultValue))
    : info.optional
      ? 'unset'
      : '**required**'
  return `| \`${key}\` | ${code(typeLabel(info.core))} | ${fallback} | ${cell(info.description)} |`
}

/** A short, human type name: `integer 1..65535`, `"random" | "loc"`, `array of [string, integer]`. */
function typeLabel(schema: z.ZodType): string {
  const core = inspectField(schema).core
  if (core instanceof z.ZodString) return 'string'
  if (core instanceof z.ZodBoolean) return 'boolean'
  if (core instanceof z.ZodNumber) return numberLabel(core)
  if (core instanceof z.ZodEnum) return core.options.map((option) => JSON.stringify(option)).join(' | ')
  if (core instanceof z.ZodTuple)
    return `[${core.def.items.map((item) => typeLabel(item as z.ZodType)).join(', ')}]`
  if (core instanceof z.ZodArray) return `array of ${typeLabel(core.element as z.ZodType)}`
  if (core instanceof z.ZodRecord) return 'table'
  if (core instanceof z.ZodUnknown) return 'any'
  return core.def.type
}

function numberLabel(schema: z.ZodNumber): string {
  const name = schema.isInt ? 'integer' : 'number'
  const min = schema.minValue ?? Number.NEGATIVE_INFINITY
  const max = schema.maxValue ?? Number.POSITIVE_INFINITY
  const hasMin = min > Number.MIN_SAFE_INTEGER
  const hasMax = max < Number.MAX_SAFE_INTEGER
  if (hasMin && hasMax) return `${name} ${min}..${max}`
  if (hasMin) return `${name} >= ${min}`
  if (hasMax) return `${name} <= ${max}`
  return name
}

/**
 * Escapes text for a Markdown table cell. GFM needs \\| even inside code spans; outside
 * them, `<` would start an HTML tag (descriptions mention placeholders like <database>).
 */
function cell(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replaceAll('<', '&lt;').replaceAll('>', '&gt;')))
    .join('')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ')
}

function code(text: string): string {
  return cell(`\`${text}\``)
}
