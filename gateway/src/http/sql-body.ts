/**
 * The `POST /sql` body: `{query, params}` or `{queries: [{query, params}, ...]}`, validated with zod.
 * The Neon driver sends every parameter as a string or null (node-postgres's prepareValue); other JSON
 * is turned into Postgres text the way Neon's proxy does, so plain `curl` callers work too.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.3
 * @module
 */
import { z } from 'zod'
import { GatewayError } from '../errors.js'

const querySchema = z.object(
  {
    query: z.string({ error: '"query" must be a string of SQL' }),
    params: z.array(z.unknown(), { error: '"params" must be an array' }).optional(),
    arrayMode: z.boolean({ error: '"arrayMode" must be true or false' }).optional(),
  },
  { error: 'expected a JSON object with "query" (or "queries")' },
)

const batchSchema = z.object({
  queries: z.array(querySchema, { error: '"queries" must be an array of {query, params}' }),
})

/** One statement to run: SQL text and its parameters as Postgres text (null = NULL). */
export interface SqlQuery {
  query: string
  params: (string | null)[]
  arrayMode?: boolean
}

/** A parsed body: one query, or a batch run in one transaction. */
export type SqlBody = { kind: 'single'; query: SqlQuery } | { kind: 'batch'; queries: SqlQuery[] }

/** Parses and validates the raw body text (any Content-Type: the driver sends text/plain). */
export function parseSqlBody(text: string): SqlBody {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new GatewayError('BAD_REQUEST', `request body is not valid JSON: ${(err as Error).message}`, {
      hint: 'send {"query": "...", "params": [...]} or {"queries": [...]}',
    })
  }
  // Pick the shape first, so errors name the key that is wrong rather than "no union member matched".
  const isBatch = typeof json === 'object' && json !== null && 'queries' in json
  const parsed = (isBatch ? batchSchema : querySchema).safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    throw new GatewayError('BAD_REQUEST', `invalid request body${where}: ${issue.message}`, {
      hint: 'send {"query": "...", "params": [...]} or {"queries": [{"query": "...", "params": [...]}]}',
    })
  }
  const body = parsed.data
  if ('queries' in body) return { kind: 'batch', queries: body.queries.map(toQuery) }
  return { kind: 'single', query: toQuery(body as z.output<typeof querySchema>) }
}

function toQuery(q: z.output<typeof querySchema>): SqlQuery {
  return { query: q.query, params: (q.params ?? []).map(toText), arrayMode: q.arrayMode }
}

/** A JSON value as Postgres text input. */
export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return arrayLiteral(value)
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Postgres arrays have at most 6 dimensions (MAXDIM in utils/array.h); deeper JSON is refused early. */
const MAX_ARRAY_DEPTH = 6

/**
 * A Postgres array literal: elements double-quoted with `"` and `\` escaped, NULL unquoted.
 * @see https://www.postgresql.org/docs/current/arrays.html#ARRAYS-INPUT
 */
function arrayLiteral(values: unknown[], depth = 1): string {
  if (depth > MAX_ARRAY_DEPTH) {
    throw new GatewayError('BAD_REQUEST', `a parameter array nests deeper than ${MAX_ARRAY_DEPTH} levels`, {
      hint: `Postgres arrays have at most ${MAX_ARRAY_DEPTH} dimensions`,
    })
  }
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL'
    if (Array.isArray(v)) return arrayLiteral(v, depth + 1)
    const text = toText(v) as string
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  })
  return `{${items.join(',')}}`
}
