/**
 * `--shard` data and scripts (issue 20, acceptance 4): `sh_bench` split over the shard primaries by
 * Postgres's own hash partitioning, a copy of every row on shard 0 for the direct runs, and the two
 * pgbench scripts, which do the same work on those two tables.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../src/index.js'
import { superuserPsql } from './pg-admin.js'

/** Shard primaries behind the `--shard` pool. */
export const SHARD_COUNT = 3

/** Ids 1..SHARD_ROWS, spread over the shards; shard 0's `sh_bench_all` holds all of them. */
export const SHARD_ROWS = 100_000

/** Skiff's `automatic_sharding_key`: the column the scripts' WHERE clauses name. */
export const SHARDING_KEY = 'sh_bench.id'

/** The pgbench script files, by who runs them. */
export interface ShardScripts {
  /** Through Skiff: `sh_bench`, whose rows are spread over the shards. */
  routed: string
  /** Straight to shard 0: `sh_bench_all`, every row on that one server. */
  direct: string
}

/**
 * One transaction of the script: read a row by key, then bump it. `\gset` fails the transaction when
 * the SELECT finds no row, so a read Skiff sent to a shard that does not hold the key is counted as
 * a failure, not as a fast empty answer.
 */
export function shardScript(table: string): string {
  return `\\set aid random(1, ${SHARD_ROWS})
select balance from ${table} where id = :aid \\gset
update ${table} set balance = balance + 1 where id = :aid;
`
}

/** Writes the two scripts into `dir`. */
export function writeShardScripts(dir: string): ShardScripts {
  const routed = join(dir, 'shard-routed.sql')
  const direct = join(dir, 'shard-direct.sql')
  writeFileSync(routed, shardScript('sh_bench'))
  writeFileSync(direct, shardScript('sh_bench_all'))
  return { routed, direct }
}

const table = (name: string) => `create table ${name} (id bigint primary key, balance int not null)`

/**
 * SQL that loads shard `i`'s part of `sh_bench`: the ids Postgres's `PARTITION BY HASH (id)` with
 * MODULUS SHARD_COUNT puts in REMAINDER i (asked of `satisfies_hash_partition`, not of Skiff's hash).
 */
function loadSql(i: number): string {
  const ids = `generate_series(1, ${SHARD_ROWS}) g`
  const mine = `satisfies_hash_partition('sh_hash_parent'::regclass, ${SHARD_COUNT}, ${i}, g::bigint)`
  const all =
    i === 0
      ? [
          table('sh_bench_all'),
          `insert into sh_bench_all select g, 0 from ${ids}`,
          'grant select, update on sh_bench_all to public',
        ]
      : []
  return [
    'drop table if exists sh_bench, sh_bench_all, sh_hash_parent',
    'create table sh_hash_parent (id bigint) partition by hash (id)',
    table('sh_bench'),
    `insert into sh_bench select g, 0 from ${ids} where ${mine}`,
    'grant select, update on sh_bench to public',
    ...all,
  ].join(';\n')
}

/**
 * Loads every shard, VACUUM ANALYZE and CHECKPOINT on each, and checks the parts add up.
 * @returns the number of `sh_bench` rows on each shard.
 * @throws when the shards do not hold exactly ids 1..SHARD_ROWS between them.
 */
export function loadShards(topology: Topology): number[] {
  const counts = topology.shards.map((shard, i) => {
    const psql = (args: string[]) => superuserPsql(topology, args, shard.port, topology.shardDatabase)
    psql(['-v', 'ON_ERROR_STOP=1', '-c', loadSql(i)])
    psql(['-c', 'VACUUM ANALYZE', '-c', 'CHECKPOINT'])
    return Number(psql(['-A', '-t', '-c', 'select count(distinct id) from sh_bench']).trim())
  })
  const total = counts.reduce((a, b) => a + b, 0)
  if (total !== SHARD_ROWS) {
    throw new Error(
      `the shards hold ${total} sh_bench rows between them (${counts.join(' + ')}), not ${SHARD_ROWS}`,
    )
  }
  return counts
}

/**
 * `sum(balance)` of `sh_bench` on each shard: every UPDATE through Skiff that reached its row added 1.
 * One routed to a shard without the row updates nothing and fails nothing, so only this total shows it.
 */
export function shardBalances(topology: Topology): number[] {
  const sql = 'select coalesce(sum(balance), 0) from sh_bench'
  return topology.shards.map((shard) =>
    Number(superuserPsql(topology, ['-A', '-t', '-c', sql], shard.port, topology.shardDatabase).trim()),
  )
}
