/**
 * Cross-field rules for `[pools.<database>.shards.<n>]`: numbering, at most one primary per
 * shard, no server listed twice in one role, mirrors pointing at real servers.
 */
import { formatPath, type Report } from './schema-common.js'
import type { PoolConfig } from './schema-pool.js'
import type { ShardConfig } from './schema-shard.js'

/** Checks the shards of one pool; `path` is `['pools', <name>]`. */
export function checkShards(path: string[], pool: PoolConfig, report: Report): void {
  const keys = Object.keys(pool.shards)
  if (keys.length === 0) {
    report(
      [...path, 'shards'],
      `no shards; add a [${formatPath([...path, 'shards', '0'])}] table with servers and database`,
    )
    return
  }
  checkNumbering([...path, 'shards'], keys, report)
  for (const [key, shard] of Object.entries(pool.shards)) {
    checkShard([...path, 'shards', key], shard, report)
  }
}

/** Shard numbers are what sharding functions return, so they must be exactly 0..n-1. */
function checkNumbering(path: string[], keys: string[], report: Report): void {
  const numbers = new Set<number>()
  for (const key of keys) {
    if (/^(0|[1-9]\d*)$/.test(key)) numbers.add(Number(key))
    else report([...path, key], `shard keys must be the numbers 0, 1, 2, ...; rename this table`)
  }
  const missing: number[] = []
  for (let n = 0; n < keys.length; n++) if (!numbers.has(n)) missing.push(n)
  if (missing.length > 0 && numbers.size === keys.length) {
    const found = [...numbers].sort((a, b) => a - b).join(', ')
    report(
      path,
      `shards must be numbered 0..${keys.length - 1} without gaps; found ${found}, missing ${missing.join(', ')}`,
    )
  }
}

function checkShard(path: string[], shard: ShardConfig, report: Report): void {
  const primaries = shard.servers.flatMap((server, index) => (server.role === 'primary' ? [index] : []))
  if (shard.servers.length === 0) {
    report(path, 'no servers; add a [host, port, "primary"] entry to servers')
  } else if (primaries.length > 1) {
    const which = primaries.map((index) => `servers.${index}`).join(', ')
    report(
      path,
      `${primaries.length} servers have role "primary" (${which}); keep one and make the others "replica"`,
    )
  }
  const seen = new Map<string, number>()
  shard.servers.forEach((server, index) => {
    // As a primary and as a replica is allowed (PgCat's own example does it): the primary then takes
    // reads as one of the replicas too. Twice in the same role is a mistake.
    const address = `${server.host}:${server.port} as ${server.role}`
    const first = seen.get(address)
    if (first === undefined) seen.set(address, index)
    else
      report(
        [...path, 'servers', index],
        `${address} is already listed as servers.${first}; list each server once per role`,
      )
  })
  shard.mirrors?.forEach((mirror, index) => {
    if (mirror.server_index >= shard.servers.length) {
      report(
        [...path, 'mirrors', index],
        `server_index ${mirror.server_index} does not exist; servers has entries 0..${shard.servers.length - 1}`,
      )
    }
  })
}
