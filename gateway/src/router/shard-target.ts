/**
 * Which shard a transaction runs on, for a pool of several shards (issue 20). The sources, first
 * that applies wins (PgCat's precedence: its query parser's key overrides a comment, a comment
 * overrides the session's choice):
 * 1. the statement's own sharding key (`automatic_sharding_key`): every value the key takes in the
 *    statement (`WHERE id = 5`, `id IN (…)`, the rows of an INSERT) hashed with `sharding_function`;
 *    values on different shards are refused for a write, and for a read fan out with
 *    `cross_shard_reads` (the WHERE still filters each shard) or are refused;
 * 2. a comment: `shard_id_regex`, then `sharding_key_regex`, in the first `regex_search_limit`
 *    characters (for that statement's transaction only: PgCat keeps it for the session's next
 *    statements too, which surprises a pooled client whose next transaction has no comment);
 * 3. the session: `SET SHARD TO 'n'`, `SET SHARDING KEY TO 'k'` (kept until changed, as in PgCat);
 * 4. nothing: a read goes to every shard with `cross_shard_reads` (outside a transaction), else to
 *    `default_shard`; a statement that may write is refused with a hint, never sent to a guessed
 *    shard; statements that touch no data (SET, SHOW, BEGIN, COMMIT, an empty query) go to the
 *    default shard.
 * The statement is read only for pools of several shards: a pool of one pays nothing.
 * @see ../../../shared/reference/pgcat.md (sharding)
 * @module
 */
import { GatewayError } from '../errors.js'
import type { PoolSharding } from '../pool/pool-sharding.js'
import type { UserPool } from '../pool/user-pool.js'
import type { StatementInfo } from '../sql/index.js'
import { shardForKey } from './sharding-function.js'
import type { StatementTarget } from './statement-target.js'

/** What a statement says about its shard, as the request reads it (only the configured sources). */
export interface StatementShardSources {
  /** automatic_sharding_key: every value the key takes in the statement. */
  readonly keys?: readonly bigint[]
  /**
   * Why the statement's key cannot be used: an UPDATE of the key, an INSERT whose key is not a plain
   * value, or (`badValue`) a value that is not a bigint.
   */
  readonly keyError?: { readonly message: string; readonly hint?: string; readonly badValue?: boolean }
  /** shard_id_regex's capture, as written. */
  readonly shardId?: string
  /** sharding_key_regex's capture, as written. */
  readonly commentKey?: string
  /** The request only prepares or describes (no Execute): no data is touched, any shard answers. */
  readonly runsNothing?: boolean
  /**
   * A Bind of a statement whose text the session does not know (prepared without the statement
   * cache, or the unnamed statement of an earlier batch): its key cannot be read.
   */
  readonly unknownStatement?: boolean
}

/** A shard, or every shard for a read whose results the gateway merges. */
export type ShardTarget = number | 'cross-shard'

/** What decides the shard besides the statement: the session's choice and the transaction's state. */
export interface ShardContext {
  /** SET SHARD / SET SHARDING KEY: the session's shard; undefined when none (or `ANY`). */
  readonly sessionShard?: number
  /** The request follows a held BEGIN: its transaction is explicit (no cross-shard fan-out). */
  readonly inTransaction: boolean
}

/** The shard of the transaction that `info` opens (see the module comment for the order). */
export function shardTarget(
  info: StatementInfo,
  target: StatementTarget,
  sources: StatementShardSources | undefined,
  ctx: ShardContext,
  pool: UserPool,
): ShardTarget {
  const sharding = pool.routing.sharding
  const count = pool.shards.length
  if (sources?.runsNothing) return ctx.sessionShard ?? defaultShard(pool)
  if (sources?.unknownStatement) {
    if (ctx.sessionShard !== undefined) return ctx.sessionShard
    throw unknownStatement(pool)
  }
  if (sources?.keyError !== undefined) throw keyError(pool, sources.keyError)
  const keys = sources?.keys
  if (keys !== undefined && keys.length > 0) {
    const shard = keysShard(keys, sharding, count)
    if (shard >= 0) return shard
    if (target === 'read' && sharding.crossShardReads && !ctx.inTransaction) return 'cross-shard'
    throw spreadKeys(pool, keys, sharding, target === 'read')
  }
  if (sources?.shardId !== undefined) return checkedShard(pool, sources.shardId, 'shard_id comment')
  if (sources?.commentKey !== undefined)
    return shardOfKeyText(pool, sources.commentKey, 'sharding_key comment')
  if (ctx.sessionShard !== undefined) return ctx.sessionShard
  if (target === 'read' && info.kind === 'read') {
    return sharding.crossShardReads && !ctx.inTransaction ? 'cross-shard' : defaultShard(pool)
  }
  if (touchesNoData(info)) return defaultShard(pool)
  throw noShard(pool)
}

/** The one shard every key maps to, or -1 when they map to several. */
function keysShard(keys: readonly bigint[], sharding: PoolSharding, count: number): number {
  const first = shardForKey(sharding.fn, keys[0]!, count)
  for (let i = 1; i < keys.length; i++) if (shardForKey(sharding.fn, keys[i]!, count) !== first) return -1
  return first
}

/** Statements that read or change no table: any shard's server answers them alike. */
function touchesNoData(info: StatementInfo): boolean {
  for (const kind of info.kinds) {
    if (kind === 'read' || kind === 'write' || kind === 'other' || kind === 'show') return false
  }
  return true
}

/** `default_shard`: a number, or a random shard (`random_healthy`: one whose primary is not banned). */
export function defaultShard(pool: UserPool): number {
  const d = pool.routing.sharding.defaultShard
  if (typeof d === 'number') return d
  const count = pool.shards.length
  if (d === 'random') return Math.floor(Math.random() * count)
  const now = Date.now()
  const healthy: number[] = []
  for (let i = 0; i < count; i++) if (!pool.primary(i).health.banned(now)) healthy.push(i)
  if (healthy.length === 0) return Math.floor(Math.random() * count)
  return healthy[Math.floor(Math.random() * healthy.length)]!
}

/** A shard number as a client wrote it (SET SHARD TO, a shard_id comment), checked against the pool. */
export function checkedShard(pool: UserPool, text: string, source: string): number {
  const count = pool.shards.length
  const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN
  if (n < count) return n
  throw new GatewayError('INVALID_SHARD', `${source}: shard ${text} is not configured in pool ${pool.name}`, {
    hint: `its shards are 0 to ${count - 1} (shard numbers start at 0)`,
  })
}

/** The shard of a key as a client wrote it (SET SHARDING KEY TO, a sharding_key comment). */
export function shardOfKeyText(pool: UserPool, text: string, source: string): number {
  const key = /^-?\d{1,19}$/.test(text) ? BigInt(text) : undefined
  if (key === undefined || key > 0x7fffffffffffffffn || key < -0x8000000000000000n) {
    throw new GatewayError(
      'INVALID_SHARD',
      `${source}: ${JSON.stringify(text)} is not a bigint sharding key`,
      {
        hint: 'a sharding key is an integer between -9223372036854775808 and 9223372036854775807',
      },
    )
  }
  return shardForKey(pool.routing.sharding.fn, key, pool.shards.length)
}

function keyError(pool: UserPool, e: NonNullable<StatementShardSources['keyError']>): GatewayError {
  const code = e.badValue ? 'INVALID_SHARD' : 'SHARD_NOT_CHOSEN'
  return new GatewayError(code, `pool ${pool.name}: ${e.message}`, { hint: e.hint })
}

function keyName(pool: UserPool): string {
  const k = pool.routing.sharding.automaticKey
  return k === undefined ? 'the sharding key' : `${k.table}.${k.column}`
}

function spreadKeys(pool: UserPool, keys: readonly bigint[], s: PoolSharding, read: boolean): GatewayError {
  const shards = [...new Set(keys.map((k) => shardForKey(s.fn, k, pool.shards.length)))].sort()
  const what = read ? 'read' : 'write'
  return new GatewayError(
    'SHARD_NOT_CHOSEN',
    `pool ${pool.name}: this ${what} names values of ${keyName(pool)} on shards ${shards.join(', ')}; one statement runs on one shard`,
    {
      hint: read
        ? 'split it by shard, or set cross_shard_reads = true on the pool to read from every shard'
        : 'split it into one statement per shard (rows whose keys are on the same shard)',
    },
  )
}

function unknownStatement(pool: UserPool): GatewayError {
  return new GatewayError(
    'SHARD_NOT_CHOSEN',
    `pool ${pool.name} has ${pool.shards.length} shards and this Bind's statement is not known to the gateway, so its shard cannot be read`,
    {
      hint: 'prepare the statement in the same batch as its Bind, keep prepared_statements_cache_size above 0, or SET SHARD TO / SET SHARDING KEY TO first',
    },
  )
}

function noShard(pool: UserPool): GatewayError {
  return new GatewayError(
    'SHARD_NOT_CHOSEN',
    `pool ${pool.name} has ${pool.shards.length} shards and this statement names none; it may write, so it is not sent to a default shard`,
    {
      hint: `name the shard: ${keyName(pool)} in the WHERE clause or VALUES (automatic_sharding_key), SET SHARDING KEY TO '<key>', SET SHARD TO '<n>', or a shard_id / sharding_key comment`,
    },
  )
}
