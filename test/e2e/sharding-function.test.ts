/**
 * `pg_bigint_hash` puts every key where Postgres itself would: for a table `PARTITION BY HASH (k)` on
 * one bigint column, `satisfies_hash_partition(parent, n, shardForKey('pg_bigint_hash', k, n), k)` is
 * true for every key tried, so shard *i* of *n* can hold partition `MODULUS n, REMAINDER i` and
 * Postgres accepts each row Skiff routes there. The keys go up as arrays and come back as one count
 * per shard count, so 10,000s of keys cost a few round trips.
 * @see https://www.postgresql.org/docs/current/functions-admin.html (satisfies_hash_partition is internal; its contract is partbounds.c's)
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { shardForKey } from '../../gateway/src/router/sharding-function.js'
import { pgClient } from '../helpers/clients.js'
import { directUrl } from '../helpers/topology.js'

const SCHEMA = 'skiff_e2e_sharding_function'
const PARENT = `${SCHEMA}.by_hash`

const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n

/** The keys tried: 1..10,000, -1..-1,000, 0, and the edges of int4, uint32, exact doubles and int8. */
function keys(): bigint[] {
  const out: bigint[] = [0n]
  for (let k = 1n; k <= 10_000n; k++) out.push(k)
  for (let k = -1n; k >= -1_000n; k--) out.push(k)
  for (const edge of [2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 62n]) {
    for (const d of [-1n, 0n, 1n]) out.push(edge + d, -(edge + d))
  }
  out.push(INT8_MIN, INT8_MIN + 1n, INT8_MAX, INT8_MAX - 1n)
  return out
}

/** 2,000 keys spread over the whole int8 range (a fixed xorshift sequence, so a failure repeats). */
function scatteredKeys(): bigint[] {
  const out: bigint[] = []
  let x = 0x9e3779b97f4a7c15n
  for (let i = 0; i < 2_000; i++) {
    x ^= BigInt.asUintN(64, x << 13n)
    x ^= x >> 7n
    x ^= BigInt.asUintN(64, x << 17n)
    out.push(BigInt.asIntN(64, x))
  }
  return out
}

describe('pg_bigint_hash agrees with PARTITION BY HASH (satisfies_hash_partition)', () => {
  let client: Awaited<ReturnType<typeof pgClient>>
  before(async () => {
    client = await pgClient(directUrl())
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`)
    await client.query(`create table ${PARENT} (k bigint) partition by hash (k)`)
  })
  after(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`)
    await client.end()
  })

  /** Keys whose computed shard Postgres refuses, at most 5, and how many keys it checked. */
  async function refused(
    all: readonly bigint[],
    shards: number,
  ): Promise<{ checked: number; bad: string[] }> {
    const remainders = all.map((k) => shardForKey('pg_bigint_hash', k, shards))
    const r = await client.query<{ checked: number; bad: string[] | null }>(
      `select count(*)::int as checked,
              (array_agg(k::text) filter (where not satisfies_hash_partition($1::regclass, $2, r, k)))[1:5] as bad
         from unnest($3::bigint[], $4::int[]) as t(k, r)`,
      [PARENT, shards, all.map(String), remainders],
    )
    const row = r.rows[0]!
    return { checked: row.checked, bad: row.bad ?? [] }
  }

  for (const shards of [2, 3, 5, 7, 16]) {
    test(`every key lands in its partition with ${shards} shards`, async () => {
      const all = [...keys(), ...scatteredKeys()]
      const { checked, bad } = await refused(all, shards)
      assert.equal(checked, all.length)
      assert.deepEqual(bad, [], `keys Postgres puts in another partition of ${shards}`)
    })
  }

  test('a wrong remainder is refused (the check can fail)', async () => {
    const r = await client.query<{ ok: boolean }>(
      `select satisfies_hash_partition($1::regclass, 5, $2, $3::bigint) as ok`,
      [PARENT, (shardForKey('pg_bigint_hash', 42n, 5) + 1) % 5, '42'],
    )
    assert.equal(r.rows[0]!.ok, false)
  })
})
