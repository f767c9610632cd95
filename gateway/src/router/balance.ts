/**
 * Load balancing of reads: which of a shard's candidate servers serves the next read, and which to
 * try after it. `random` picks in proportion to each server's weight (the server entry's fourth
 * element, beyond PgCat; weight 0 serves only when nothing else is left); `loc` (least outstanding
 * connections, as PgCat) picks the server with the fewest connections lent or awaited, ties at random,
 * so a server slowed by long queries gets fewer new ones.
 * @see https://github.com/postgresml/pgcat (pool.rs, `LoadBalancingMode`)
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'

/** How a read's server is picked among its candidates. */
export type LoadBalancingMode = 'random' | 'loc'

/** The index in `pools` of the server that serves the next read. `pools` is not empty. */
export function pickServer(
  pools: readonly ServerPool[],
  mode: LoadBalancingMode,
  random = Math.random,
): number {
  if (pools.length === 1) return 0
  return mode === 'loc' ? leastOutstanding(pools, random) : weightedRandom(pools, random)
}

function weight(pool: ServerPool): number {
  return pool.address.weight ?? 1
}

function weightedRandom(pools: readonly ServerPool[], random: () => number): number {
  let total = 0
  for (const p of pools) total += weight(p)
  if (total <= 0) return Math.floor(random() * pools.length)
  let point = random() * total
  for (let i = 0; i < pools.length; i++) {
    point -= weight(pools[i]!)
    if (point < 0) return i
  }
  return pools.length - 1
}

function leastOutstanding(pools: readonly ServerPool[], random: () => number): number {
  let best = -1
  let bestLoad = Number.POSITIVE_INFINITY
  let ties = 0
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i]!
    if (weight(p) <= 0 && pools.some((o) => weight(o) > 0)) continue
    const load = p.outstanding
    if (load < bestLoad) {
      best = i
      bestLoad = load
      ties = 1
    } else if (load === bestLoad && random() * ++ties < 1) best = i // reservoir: a fair tie-break
  }
  return Math.max(best, 0)
}
