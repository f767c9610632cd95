/**
 * The `/sql` request headers: Neon's output and batch options, and Skiff's routing choices.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.2
 * @module
 */
import { GatewayError } from '../errors.js'
import { parseLsn } from '../pool/lsn.js'
import type { UserPool } from '../pool/user-pool.js'
import type { RoutingState } from '../router/route.js'
import { checkedShard, shardOfKeyText } from '../router/shard-target.js'

/** Reads one header (any case). */
export type HeaderGetter = (name: string) => string | undefined

/** Whether a repeated header of this (lower-case) name is refused: see {@link refuseRepeatedHeaders}. */
function mustBeSingle(name: string): boolean {
  return name === 'authorization' || name.startsWith('neon-') || name.startsWith('skiff-')
}

/**
 * Refuses a request that sends `Authorization` or any `Neon-*` or `Skiff-*` header more than once.
 * Node joins repeated headers with ", ", which would turn two connection strings into one whose
 * parameter values hold the second string (and its password), or two tokens into one.
 * @param rawHeaders Node's `IncomingMessage.rawHeaders`: names and values alternating, as sent.
 */
export function refuseRepeatedHeaders(rawHeaders: readonly string[]): void {
  const seen = new Set<string>()
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase()
    if (!mustBeSingle(name)) continue
    if (seen.has(name)) {
      throw new GatewayError('BAD_REQUEST', `header ${rawHeaders[i]} was sent more than once`, {
        hint: 'send each Neon-*, Skiff-* and Authorization header once',
      })
    }
    seen.add(name)
  }
}

/** A header value quoted for an error message: escaped, and cut short (a header may run to 16 KB). */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
}

/** Only the exact string "true" counts, as in Neon's proxy. */
export function flag(get: HeaderGetter, name: string): boolean {
  return get(name) === 'true'
}

const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
}

/** The BEGIN that opens a batch, from Neon-Batch-Isolation-Level, -Read-Only and -Deferrable. */
export function batchBegin(get: HeaderGetter): string {
  const parts = ['BEGIN']
  const level = get('Neon-Batch-Isolation-Level')
  if (level !== undefined) {
    const sql = ISOLATION[level]
    if (sql === undefined) {
      throw new GatewayError('BAD_REQUEST', `invalid isolation level ${shown(level)}`, {
        hint: `Neon-Batch-Isolation-Level must be one of ${Object.keys(ISOLATION).join(', ')}`,
      })
    }
    parts.push(`ISOLATION LEVEL ${sql}`)
  }
  if (flag(get, 'Neon-Batch-Read-Only')) parts.push('READ ONLY')
  if (flag(get, 'Neon-Batch-Deferrable')) parts.push('DEFERRABLE')
  return parts.join(' ')
}

/**
 * `Skiff-Shard: <n>`, `Skiff-Sharding-Key: <key>` and `Skiff-Role: primary|replica|any|auto|default`
 * choose where the request runs, as `SET SHARD TO`, `SET SHARDING KEY TO` and `SET SERVER ROLE TO` do
 * on TCP (the same router reads them; a bad shard or key is 22023).
 */
export function routingHeaders(get: HeaderGetter, pool: UserPool | undefined): Partial<RoutingState> {
  const routing: Partial<RoutingState> = {}
  const shard = get('Skiff-Shard')
  const key = get('Skiff-Sharding-Key')
  if (shard !== undefined && key !== undefined) {
    throw new GatewayError('BAD_REQUEST', 'send Skiff-Shard or Skiff-Sharding-Key, not both', {
      hint: 'Skiff-Shard names the shard; Skiff-Sharding-Key names a key whose shard the pool computes',
    })
  }
  if (pool !== undefined && shard !== undefined)
    routing.shard = checkedShard(pool, shard.trim(), 'Skiff-Shard')
  else if (pool !== undefined && key !== undefined) {
    routing.shard = shardOfKeyText(pool, key.trim(), 'Skiff-Sharding-Key')
  }
  const lsn = get('Skiff-Lsn')
  if (lsn !== undefined) {
    const parsed = parseLsn(lsn.trim())
    if (parsed === undefined)
      throw new GatewayError('BAD_REQUEST', `invalid Skiff-Lsn ${shown(lsn)}`, {
        hint: 'send back the Skiff-Lsn value of an earlier response as it came, e.g. 0/16B3748',
      })
    routing.minLsn = parsed
  }
  const role = get('Skiff-Role')?.toLowerCase()
  if (role === 'replica' || role === 'primary' || role === 'any' || role === 'auto') routing.role = role
  else if (role !== undefined && role !== 'default') {
    throw new GatewayError('BAD_REQUEST', `invalid Skiff-Role ${shown(role)}`, {
      hint: 'use primary, replica, any, auto or default (as SET SERVER ROLE TO takes)',
    })
  }
  return routing
}
