/**
 * The values of the sharding keys that are more than a string: `default_shard` and
 * `automatic_sharding_key`, read once here for both the config's checks and the pools.
 * @module
 */

/** Where a statement that names no shard goes (`default_shard`). */
export type DefaultShard = number | 'random' | 'random_healthy'

/** `automatic_sharding_key = "table.column"`, each part folded as Postgres folds unquoted names. */
export interface ShardingKeyColumn {
  readonly table: string
  readonly column: string
}

/** `"shard_<n>"`, `"random"`, `"random_healthy"` as the router reads them; undefined when malformed. */
export function parseDefaultShard(text: string): DefaultShard | undefined {
  if (text === 'random' || text === 'random_healthy') return text
  const m = /^shard_(0|[1-9]\d{0,5})$/.exec(text)
  return m === null ? undefined : Number(m[1])
}

/**
 * `"table.column"` (either part may be a double-quoted identifier) as Postgres would read the two
 * names: unquoted parts lowercased (A-Z only, as `downcase_identifier` does), quoted ones as written.
 * Undefined when it is not two names joined by a dot.
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
export function parseKeyColumn(text: string): ShardingKeyColumn | undefined {
  const part = `("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`
  const m = new RegExp(`^${part}\\.${part}$`).exec(text.trim())
  if (m === null) return undefined
  return { table: identifier(m[1]!), column: identifier(m[2]!) }
}

function identifier(part: string): string {
  if (part.startsWith('"')) return part.slice(1, -1).replaceAll('""', '"')
  return part.replace(/[A-Z]/g, (c) => c.toLowerCase())
}
