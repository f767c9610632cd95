import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_SHARDS, shardForKey } from './sharding-function.js'

/**
 * `hashint8extended(k, x'7A5B22367996DCFD'::bigint)` (HASH_PARTITION_SEED) as PostgreSQL 15.18
 * printed it; the row hash of a one-bigint-column hash partition key is this plus 0x49a0f4dd15e5a8e3
 * modulo 2^64 (hash_combine64 with 0). test/e2e/sharding-function.test.ts checks 10,000s more keys
 * against `satisfies_hash_partition` itself.
 */
const POSTGRES_HASHINT8EXTENDED: ReadonlyArray<readonly [bigint, bigint]> = [
  [-9223372036854775808n, -6050265599104649060n],
  [9223372036854775807n, 4938542303000433043n],
  [-2147483649n, -6050265599104649060n],
  [-2147483648n, 4938542303000433043n],
  [2147483647n, -6050265599104649060n],
  [2147483648n, 4938542303000433043n],
  [-4294967296n, -4403592609991167795n],
  [4294967296n, 5968994663651403477n],
  [-1n, -5017072347659237694n],
  [0n, -4403592609991167795n],
  [1n, 5968994663651403477n],
  [42n, 7363975540656877951n],
  [1234567890123n, 4234184308168508908n],
  [-987654321987n, -8014672160015165402n],
  // Either side of ±2^53, where shardForKey leaves number arithmetic for BigInt.
  [9007199254740991n, 3111600140043293142n],
  [9007199254740992n, 1259172064321252407n],
  [-9007199254740991n, 8386863795235381166n],
  [-9007199254740992n, 929700564802579817n],
  [-4294967297n, 2147707635919668551n],
  [4294967295n, -5017072347659237694n],
]

/** The partition Postgres picks from its hashint8extended value, in BigInt: the reference. */
function partitionOf(hashint8extended: bigint, modulus: number): number {
  const rowHash = BigInt.asUintN(64, hashint8extended + 0x49a0f4dd15e5a8e3n)
  return Number(rowHash % BigInt(modulus))
}

describe('pg_bigint_hash', () => {
  test("PgCat's own vectors (5 shards, src/sharding.rs test_pg_bigint_hash)", () => {
    const byShard = [
      [1, 4, 5, 14, 19, 39, 40, 46, 47, 53],
      [2, 3, 11, 17, 21, 23, 30, 49, 51, 54],
      [6, 7, 15, 16, 18, 20, 25, 28, 34, 35],
      [8, 12, 13, 22, 29, 31, 33, 36, 41, 43],
      [9, 10, 24, 26, 27, 32, 37, 38, 42, 45],
    ]
    for (const [shard, keys] of byShard.entries()) {
      for (const k of keys) assert.equal(shardForKey('pg_bigint_hash', BigInt(k), 5), shard, `key ${k}`)
    }
  })

  test("matches Postgres's hash in all 64 bits (moduli from 1 to 2^21, primes among them)", () => {
    for (const [key, hash] of POSTGRES_HASHINT8EXTENDED) {
      for (const m of [1, 2, 3, 5, 7, 1000, 65_521, 1_048_573, 2_097_143, MAX_SHARDS]) {
        assert.equal(shardForKey('pg_bigint_hash', key, m), partitionOf(hash, m), `key ${key} modulus ${m}`)
      }
    }
  })

  test('satisfies_hash_partition answers (PostgreSQL 15.18) at the int4 and int8 edges', () => {
    const cases: ReadonlyArray<readonly [bigint, readonly number[]]> = [
      // key, remainder for moduli 2, 3, 5, 7, 1000
      [-9223372036854775808n, [1, 1, 4, 0, 119]],
      [9223372036854775807n, [0, 0, 1, 3, 606]],
      [-2147483648n, [0, 0, 1, 3, 606]],
      [2147483648n, [0, 0, 1, 3, 606]],
      [-4294967296n, [0, 2, 3, 4, 768]],
      [4294967296n, [0, 2, 0, 5, 40]],
      [-1n, [1, 2, 4, 0, 869]],
      [0n, [0, 2, 3, 4, 768]],
      [1234567890123n, [1, 0, 1, 0, 471]],
    ]
    for (const [key, remainders] of cases) {
      const got = [2, 3, 5, 7, 1000].map((m) => shardForKey('pg_bigint_hash', key, m))
      assert.deepEqual(got, remainders, `key ${key}`)
    }
  })
})

describe('sha1', () => {
  test("PgCat's own vectors (12 shards, src/sharding.rs test_sha1_hash)", () => {
    const shards = [4, 7, 8, 3, 6, 0, 0, 10, 3, 11, 1, 7, 4, 4, 11, 2, 5, 0, 8, 3]
    for (const [key, shard] of shards.entries()) {
      assert.equal(shardForKey('sha1', BigInt(key), 12), shard, `key ${key}`)
    }
  })

  test('hashes the decimal text, minus sign included, and takes the last 8 hex digits', () => {
    // sha1('-1') = 7984b0a0e139cabadb5afc7756d473fb34d23819: 0x34d23819 = 886192153
    assert.equal(shardForKey('sha1', -1n, 1_000_000), 886192153 % 1_000_000)
    // sha1('-9223372036854775808') = 61dad8c53f364d8c90b2282f8d4dffbd3974ca5f (sha1sum of the text)
    assert.equal(shardForKey('sha1', -9223372036854775808n, 0x200000), 0x3974ca5f % 0x200000)
  })
})

describe('shard count', () => {
  test('must be an integer from 1 to MAX_SHARDS', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_SHARDS + 1]) {
      assert.throws(() => shardForKey('pg_bigint_hash', 1n, bad), RangeError)
    }
    assert.equal(shardForKey('sha1', 5n, 1), 0)
  })
})
