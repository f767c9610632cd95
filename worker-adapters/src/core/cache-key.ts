/**
 * The cache key of a `/sql` request: database, user, connection-string parameters, the normalized
 * SQL text, the parameters and the headers that change a result (output format, batch options,
 * routing). Never the password or token: those decide who may read an entry, not which entry it is.
 * @module
 */

/** Request headers that change what a `/sql` request returns or where it runs. */
export const KEYED_HEADERS = [
  'neon-raw-text-output',
  'neon-array-mode',
  'neon-batch-isolation-level',
  'neon-batch-read-only',
  'neon-batch-deferrable',
  'skiff-role',
  'skiff-shard',
  'skiff-sharding-key',
] as const

/**
 * Collapses whitespace outside quotes and trims. Text whose lexing a simple scanner could get wrong
 * (comments, backslashes as in E'' strings, dollar quotes) is kept as sent: two texts must never
 * share a key unless Postgres reads them as the same statement.
 */
export function normalizeSql(text: string): string {
  if (/--|\/\*|\\|\$[^0-9]/.test(text)) return text
  let out = ''
  let quote: string | undefined
  let space = false
  for (const ch of text.trim()) {
    if (quote !== undefined) {
      out += ch
      if (ch === quote) quote = undefined
      continue
    }
    if (/\s/.test(ch)) {
      space = true
      continue
    }
    if (space) out += ' '
    space = false
    out += ch
    if (ch === "'" || ch === '"') quote = ch
  }
  return out
}

/** The parsed body with every query text normalized; undefined when it is not a `/sql` body. */
function keyedBody(body: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object') return undefined
  const norm = (q: Record<string, unknown>) =>
    typeof q.query === 'string' ? { ...q, query: normalizeSql(q.query) } : q
  const obj = parsed as Record<string, unknown>
  if (Array.isArray(obj.queries)) return { ...obj, queries: obj.queries.map((q) => norm(q)) }
  return norm(obj)
}

/** Identity of the caller as far as the key goes: user, database, connection-string parameters. */
export interface KeyIdentity {
  user: string
  database: string
  params: string
}

/** SHA-256 hex of the key material, or undefined when the body is not one the cache understands. */
export async function cacheKey(id: KeyIdentity, body: string, headers: Headers): Promise<string | undefined> {
  const keyed = keyedBody(body)
  if (keyed === undefined) return undefined
  const material = JSON.stringify([
    id.database,
    id.user,
    id.params,
    keyed,
    KEYED_HEADERS.map((h) => headers.get(h)),
  ])
  return sha256Hex(material)
}

/** Lower-case hex SHA-256 (Web Crypto, present in workerd, Edge Runtime and Node). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
