/**
 * The sharding functions a pool may name (`sharding_function`), which map a bigint sharding key to
 * one of `shards` shards. Both are PgCat's, so a cluster sharded by PgCat keeps its rows where they are:
 * - `pg_bigint_hash`: the partition Postgres itself picks for the key in a table `PARTITION BY HASH`
 *   on one bigint column with `MODULUS shards`, so shard *i* may hold partition `REMAINDER i` and
 *   Postgres checks every row it is given (`satisfies_hash_partition`, test/e2e/sharding-function.test.ts);
 * - `sha1`: SHA-1 of the key's decimal text, its last four bytes read as an unsigned integer, `% shards`.
 *
 * `pg_bigint_hash` is Bob Jenkins's lookup3 hash of one 32-bit word, as Postgres has it: the seeded
 * half of the hash does not depend on the key, so it is computed once below, and per key only the
 * final mix runs, in 32-bit integer arithmetic (no BigInt beyond splitting the key in halves).
 * @see https://github.com/postgres/postgres/blob/master/src/common/hashfn.c (hash_bytes_uint32_extended, mix, final)
 * @see https://github.com/postgres/postgres/blob/master/src/backend/access/hash/hashfunc.c (hashint8extended)
 * @see https://github.com/postgres/postgres/blob/master/src/include/common/hashfn.h (hash_combine64)
 * @see https://github.com/postgres/postgres/blob/master/src/backend/partitioning/partbounds.c (compute_partition_hash_value)
 * @see https://github.com/postgresml/pgcat/blob/main/src/sharding.rs
 * @module
 */
import { createHash } from 'node:crypto'
import type { ShardingFunction } from '../pool/pool-sharding.js'

export type { ShardingFunction } from '../pool/pool-sharding.js'

/**
 * The most shards {@link shardForKey} takes: 2^21, so that `hi % shards * 2^32 + lo` stays an exact
 * double (below 2^53) while the 64-bit hash is reduced.
 */
export const MAX_SHARDS = 0x200000

/** HASH_PARTITION_SEED (src/include/catalog/partition.h), in 32-bit halves. */
const SEED_HI = 0x7a5b2236
const SEED_LO = 0x7996dcfd
/** hash_combine64's constant 0x49a0f4dd15e5a8e3, in 32-bit halves. */
const COMBINE_HI = 0x49a0f4dd
const COMBINE_LO = 0x15e5a8e3

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** `a`, `b`, `c` after the seeded part of hash_bytes_uint32_extended: the same for every key. */
const SEEDED = seededState()

function seededState(): readonly [number, number, number] {
  // a = b = c = 0x9e3779b9 + sizeof(uint32) + 3923095; then the seed, then mix().
  const init = (0x9e3779b9 + 4 + 3923095) | 0
  let a = (init + SEED_HI) | 0
  let b = (init + SEED_LO) | 0
  let c = init
  a = (a - c) ^ rot(c, 4)
  c = (c + b) | 0
  b = (b - a) ^ rot(a, 6)
  a = (a + c) | 0
  c = (c - b) ^ rot(b, 8)
  b = (b + a) | 0
  a = (a - c) ^ rot(c, 16)
  c = (c + b) | 0
  b = (b - a) ^ rot(a, 19)
  a = (a + c) | 0
  c = (c - b) ^ rot(b, 4)
  b = (b + a) | 0
  return [a, b, c]
}

/**
 * The shard of `key` among `shards` under `fn`: an integer in `[0, shards)`.
 * @example shardForKey('pg_bigint_hash', 1n, 5) // 0, as in PgCat's test (partition REMAINDER 0 of 5)
 * @example shardForKey('sha1', 1n, 12) // 7
 */
export function shardForKey(fn: ShardingFunction, key: bigint, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new RangeError(`the shard count must be an integer from 1 to ${MAX_SHARDS}, not ${shards}`)
  }
  switch (fn) {
    case 'pg_bigint_hash':
      return pgBigintHash(key, shards)
    case 'sha1':
      return sha1Hash(key, shards)
    default:
      throw new Error(`Unexpected sharding function: ${fn as string}`)
  }
}

/** `hash_combine64(0, hashint8extended(key, HASH_PARTITION_SEED)) % shards`, as an unsigned 64-bit. */
function pgBigintHash(key: bigint, shards: number): number {
  // hashint8extended folds the high half into the low so that an int8 holding an int4 value hashes
  // like that int4 (hashint4extended); for a negative key the high half is all ones, hence `~`.
  const k = foldedInt8(key)
  let a = (SEEDED[0] + k) | 0
  let b = SEEDED[1]
  let c = SEEDED[2]
  // final(a, b, c)
  c = (c ^ b) - rot(b, 14)
  a = (a ^ c) - rot(c, 11)
  b = (b ^ a) - rot(a, 25)
  c = (c ^ b) - rot(b, 16)
  a = (a ^ c) - rot(c, 4)
  b = (b ^ a) - rot(a, 14)
  c = (c ^ b) - rot(b, 24)
  // The hash is (b << 32) | c; hash_combine64 with a = 0 adds its constant modulo 2^64.
  const low = (c >>> 0) + COMBINE_LO
  const carry = low >= 0x1_0000_0000 ? 1 : 0
  const high = ((b >>> 0) + COMBINE_HI + carry) % 0x1_0000_0000
  return ((high % shards) * 0x1_0000_0000 + (low % 0x1_0000_0000)) % shards
}

/**
 * hashint8extended's fold of an int8 into 32 bits: `lohalf ^ (val >= 0 ? hihalf : ~hihalf)`.
 * Within ±2^53 the key is an exact double and its halves come from number arithmetic (`| 0` takes a
 * double modulo 2^32, `Math.floor(n / 2^32)` is the arithmetic shift), which allocates nothing.
 */
function foldedInt8(key: bigint): number {
  const n = Number(key)
  if (Number.isSafeInteger(n)) {
    const hi = Math.floor(n / 0x1_0000_0000) | 0
    return (n | 0) ^ (n >= 0 ? hi : ~hi)
  }
  const hi = Number(BigInt.asIntN(32, key >> 32n))
  return Number(BigInt.asIntN(32, key)) ^ (key >= 0n ? hi : ~hi)
}

/** PgCat's `sha1`: the last 8 hex digits of SHA-1 of the key's decimal text, `% shards`. */
function sha1Hash(key: bigint, shards: number): number {
  const digest = createHash('sha1').update(key.toString()).digest()
  return digest.readUInt32BE(16) % shards
}
