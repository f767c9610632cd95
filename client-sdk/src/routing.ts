/**
 * Where a request runs: Skiff's routing choices as HTTP headers (`Skiff-Role`, `Skiff-Shard`,
 * `Skiff-Sharding-Key`) or as the routing commands the gateway answers on a WebSocket session
 * (`SET SERVER ROLE TO`, `SET SHARD TO`, `SET SHARDING KEY TO`).
 * @module
 */

/** A server role, as `SET SERVER ROLE TO` takes it. */
export type Role = 'primary' | 'replica' | 'any' | 'auto'

/** Routing choices of a client or one call. */
export interface Routing {
  role?: Role
  /** Shard number (0-based). */
  shard?: number
  /** A sharding key whose shard the gateway computes. */
  shardingKey?: string | number | bigint
}

/** The later choice wins: a shard replaces a key and the other way round. */
export function mergeRouting(base: Routing, over: Routing | undefined): Routing {
  if (over === undefined) return base
  const out: Routing = { ...base }
  if (over.role !== undefined) out.role = over.role
  if (over.shard !== undefined) {
    out.shard = over.shard
    delete out.shardingKey
  }
  if (over.shardingKey !== undefined) {
    out.shardingKey = over.shardingKey
    delete out.shard
  }
  return out
}

/** The HTTP headers of a routing choice. */
export function routingHeaders(r: Routing): Record<string, string> {
  const h: Record<string, string> = {}
  if (r.role !== undefined) h['Skiff-Role'] = r.role
  if (r.shard !== undefined) h['Skiff-Shard'] = String(r.shard)
  if (r.shardingKey !== undefined) h['Skiff-Sharding-Key'] = String(r.shardingKey)
  return h
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`

/** The routing commands of a choice, for a WebSocket session before its BEGIN. */
export function routingCommands(r: Routing): string[] {
  const out: string[] = []
  if (r.role !== undefined) out.push(`SET SERVER ROLE TO ${quote(r.role)}`)
  if (r.shard !== undefined) out.push(`SET SHARD TO ${quote(String(r.shard))}`)
  if (r.shardingKey !== undefined) out.push(`SET SHARDING KEY TO ${quote(String(r.shardingKey))}`)
  return out
}
