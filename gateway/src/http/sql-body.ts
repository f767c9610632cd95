/**
 * The `POST /sql` body: `{query, params}` or `{queries: [{query, params}, ...]}`, validated with zod.
 * The Neon driver sends every parameter as a string or null (node-postgres's prepareValue); other JSON
 * is turned into Postgres text the way Neon's proxy does, so plain `curl` callers work too. What would
 * fail later, less clearly (a NUL in SQL text, COPY, too many or too deeply nested parameters), is
 * refused here with a 400 that names the statement or parameter.
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
  if ('queries' in body)
    return { kind: 'batch', queries: body.queries.map((q, i) => toQuery(q, `queries[${i}]`)) }
  return { kind: 'single', query: toQuery(body as z.output<typeof querySchema>, 'the query') }
}

/** Bind counts parameters in an Int16, which Postgres reads as unsigned: 65,535 at most. */
export const MAX_PARAMS = 65_535

/**
 * Deepest nesting of arrays and objects in one parameter. An object parameter becomes JSON text with
 * JSON.stringify, which recurses and overflows the stack past about 4,000 levels (a 500 instead of a
 * 400); 1,000 stays well clear of that from any caller's stack, and no real document nests so deep.
 */
export const MAX_PARAM_DEPTH = 1000

/**
 * One statement, checked for what would otherwise fail later and less clearly: on the wire, in a
 * recursive serializer, or by holding a server connection (COPY).
 * @param where names the statement in errors: "the query" or "queries[1]"
 */
function toQuery(q: z.output<typeof querySchema>, where: string): SqlQuery {
  if (q.query.includes('\0'))
    throw new GatewayError('BAD_REQUEST', `${where} contains a NUL byte, which ends a protocol string`)
  if (startsWithCopy(q.query)) throw copyNotAvailable(`${where} is a COPY statement`)
  const params = q.params ?? []
  if (params.length > MAX_PARAMS) {
    throw new GatewayError(
      'BAD_REQUEST',
      `${where} has ${params.length} parameters; the protocol carries at most ${MAX_PARAMS}`,
      { hint: 'pass many values as one array parameter, e.g. where id = any($1)' },
    )
  }
  const prefix = where === 'the query' ? '' : `${where}.`
  const text = params.map((value, i) => {
    const name = `${prefix}params[${i}]`
    checkParam(value, name)
    return toText(value, name)
  })
  return { query: q.query, params: text, arrayMode: q.arrayMode }
}

/** The answer to COPY over HTTP, refused up front or when the server starts one. */
export function copyNotAvailable(detail?: string): GatewayError {
  return new GatewayError('FEATURE_NOT_SUPPORTED', 'COPY is not available over HTTP', {
    detail,
    hint: 'load rows with INSERT ... VALUES or INSERT ... SELECT * FROM unnest($1::text[]), or run COPY from a TCP or WebSocket client',
  })
}

/**
 * Whether the SQL text's first keyword, after blanks and comments, is COPY. A statement sent with
 * Parse is one statement, so this is the statement itself: refused before it can hold a server.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-COMMENTS
 */
export function startsWithCopy(sql: string): boolean {
  const at = skipBlanksAndComments(sql)
  if (sql.slice(at, at + 4).toLowerCase() !== 'copy') return false
  return at + 4 === sql.length || !isIdentifierChar(sql.charCodeAt(at + 4))
}

/** Index of the first character that is not blank or inside a comment (nested block comments too). */
function skipBlanksAndComments(sql: string): number {
  let i = 0
  while (i < sql.length) {
    if (' \t\n\r\f\v'.includes(sql[i]!)) i++
    else if (sql.startsWith('--', i)) {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++
    } else if (sql.startsWith('/*', i)) i = afterBlockComment(sql, i)
    else break
  }
  return i
}

/** The index after the block comment opening at `start`; block comments nest in SQL. */
function afterBlockComment(sql: string, start: number): number {
  let depth = 0
  let i = start
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) depth++
    else if (sql.startsWith('*/', i)) depth--
    else {
      i++
      continue
    }
    i += 2
    if (depth === 0) break
  }
  return i
}

/** Postgres identifiers go on with letters, digits, `_`, `$` and any non-ASCII character. */
function isIdentifierChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  )
}

/**
 * Refuses a parameter nested deeper than MAX_PARAM_DEPTH, or holding a number JSON.parse could not
 * keep exactly. Walks without recursion (the value may be nested 100,000 deep), keeping only the
 * current path, so a wide value costs no more memory than its parse did.
 */
function checkParam(value: unknown, name: string): void {
  if (typeof value !== 'object' || value === null) return checkNumber(value, name)
  const lists: unknown[][] = [childrenOf(value)]
  const next: number[] = [0]
  while (lists.length > 0) {
    const top = lists.length - 1
    const list = lists[top]!
    if (next[top]! >= list.length) {
      lists.pop()
      next.pop()
      continue
    }
    const child = list[next[top]!++]
    if (typeof child !== 'object' || child === null) checkNumber(child, name)
    else if (lists.length >= MAX_PARAM_DEPTH) throw tooDeep(name)
    else {
      lists.push(childrenOf(child))
      next.push(0)
    }
  }
}

function childrenOf(value: object): unknown[] {
  return Array.isArray(value) ? value : Object.values(value)
}

function tooDeep(name: string): GatewayError {
  return new GatewayError(
    'BAD_REQUEST',
    `${name} nests arrays or objects deeper than ${MAX_PARAM_DEPTH} levels`,
    {
      hint: 'flatten the value, or send it as a JSON string',
    },
  )
}

/**
 * JSON.parse turns an integer past 2^53 into a nearby one and an overflowing number into Infinity
 * (which JSON.stringify then writes as null): refused rather than passed on changed.
 */
function checkNumber(value: unknown, name: string): void {
  if (typeof value !== 'number') return
  if (Number.isFinite(value) && !(Number.isInteger(value) && !Number.isSafeInteger(value))) return
  throw new GatewayError(
    'BAD_REQUEST',
    `${name} holds a number that a JSON number cannot carry exactly here`,
    {
      hint: 'send integers beyond ±9007199254740991 and very large numbers as strings, e.g. "12345678901234567890"',
    },
  )
}

/** A JSON value as Postgres text input; `name` says which parameter in errors. */
export function toText(value: unknown, name = 'a parameter'): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return arrayLiteral(value, name)
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Postgres arrays have at most 6 dimensions (MAXDIM in utils/array.h); deeper JSON is refused early. */
const MAX_ARRAY_DEPTH = 6

/**
 * A Postgres array literal: elements double-quoted with `"` and `\` escaped, NULL unquoted.
 * @see https://www.postgresql.org/docs/current/arrays.html#ARRAYS-INPUT
 */
function arrayLiteral(values: unknown[], name: string, depth = 1): string {
  if (depth > MAX_ARRAY_DEPTH) {
    throw new GatewayError(
      'BAD_REQUEST',
      `${name} is an array that nests deeper than ${MAX_ARRAY_DEPTH} levels`,
      {
        hint: `Postgres arrays have at most ${MAX_ARRAY_DEPTH} dimensions`,
      },
    )
  }
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL'
    if (Array.isArray(v)) return arrayLiteral(v, name, depth + 1)
    const text = toText(v, name) as string
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  })
  return `{${items.join(',')}}`
}
