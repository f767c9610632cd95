/** What the numbers were measured on: the header of the report. */
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { findPgBin } from '../src/index.js'
import type { BenchOptions } from './options.js'
import { pgbouncerVersion } from './pgbouncer.js'
import { CLK_TCK } from './procs.js'
import { SHARD_COUNT, SHARD_ROWS, SHARDING_KEY, shardScript } from './shard-setup.js'
import type { Workload } from './workloads.js'

function version(bin: string): string {
  try {
    return execFileSync(findPgBin(bin), ['--version'], { encoding: 'utf8' }).trim()
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`
  }
}

/** Machine facts as Markdown bullet lines. */
export function machineLines(): string[] {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
  const mem = (totalmem() / 2 ** 30).toFixed(1)
  return [
    `- Machine: nproc ${availableParallelism()} (${cpu}), ${mem} GiB RAM, Linux ${release()}, load average at start ${loadavg()[0]?.toFixed(2)}`,
    `- Software: ${version('postgres')}; ${pgbouncerVersion()}; ${version('pgbench')}; Node ${process.version}`,
  ]
}

/**
 * `--shard`: where the rows are, what each side runs, and the script.
 * @param rows `sh_bench` rows on each shard.
 */
function shardLines(opts: BenchOptions, rows: number[]): string[] {
  const perShard = rows.map((n) => n.toLocaleString('en-US')).join(' / ')
  const script = shardScript('sh_bench').trim().split('\n').join(' ⏎ ')
  return [
    `- Servers: ${SHARD_COUNT} shard primaries (fsync off) on this machine. On each, \`sh_bench (id bigint primary key, balance int not null)\` holds the ids of 1..${SHARD_ROWS.toLocaleString('en-US')} that Postgres's \`PARTITION BY HASH (id)\` with modulus ${SHARD_COUNT} puts in that shard's remainder (\`satisfies_hash_partition\`): ${perShard} rows. Shard 0 also holds \`sh_bench_all\` with all ${SHARD_ROWS.toLocaleString('en-US')} ids, for the direct runs. VACUUM ANALYZE and CHECKPOINT on each after loading`,
    `- **Skiff, 3 shards**: one pool, \`pool_mode = "transaction"\`, \`[pools.<db>.shards.0..${SHARD_COUNT - 1}]\` one shard primary each, \`automatic_sharding_key = "${SHARDING_KEY}"\`, default \`sharding_function\` (pg_bigint_hash), \`pool_size = ${opts.poolSize}\` per server (up to ${SHARD_COUNT * opts.poolSize} backends over the ${SHARD_COUNT} servers). **Shard 0 direct**: pgbench straight to shard 0's server, one backend per client, the same script on \`sh_bench_all\`: the same work per transaction on one server`,
    `- Script (\`-f\`): \`${script}\`; one pgbench transaction (what tps and µs/txn count) is the two statements, each its own transaction on the server, routed by its key; \`\\gset\` fails the transaction when the SELECT finds no row, i.e. when the read reached a shard that does not hold the key`,
    `- Order: each round runs both sides, the order alternating every round; ratios are medians of per-round ratios`,
  ]
}

/** Settings as Markdown bullet lines; `shardRows` (\`--shard\`) is the \`sh_bench\` rows on each shard. */
export function settingsLines(opts: BenchOptions, workloads: Workload[], shardRows: number[] = []): string[] {
  const user = opts.user === 'md5' ? 'skiff_md5 (md5)' : 'skiff_scram (SCRAM-SHA-256)'
  const scale = opts.shard ? '' : `pgbench scale ${opts.scale}, `
  const common = [
    `- Settings: ${scale}${opts.rounds} round(s) × ${opts.duration} s per run, clients ${opts.clients.join(', ')} (\`-j\` = min(2, clients)), user ${user}, all on 127.0.0.1 TCP`,
  ]
  const cpu = `- CPU µs/txn: proxy process utime+stime delta (/proc/<pid>/stat, CLK_TCK ${CLK_TCK}) over the run ÷ transactions processed`
  const list = `- Workloads: ${workloads.map((w) => `${w.label}: ${w.note}`).join('; ')}`
  if (opts.shard) return [...common, ...shardLines(opts, shardRows), cpu, list]
  if (opts.split) {
    return [
      ...common,
      `- Servers: a primary and 2 streaming replicas (fsync off), VACUUM ANALYZE replayed on the replicas, then \`pg_prewarm\` of pgbench_accounts and its index on all three`,
      `- Skiff, three processes with the same config but for the pool's splitting keys, transaction mode, \`pool_size = ${opts.poolSize}\` per server, servers = primary + both replicas. **Split on**: \`query_parser_enabled = true\`, \`query_parser_read_write_splitting = true\`, \`primary_reads_enabled = false\`, \`default_role = "any"\` (reads on the replicas only: up to ${2 * opts.poolSize} server connections). **Split off, replicas**: both parser keys false, \`default_role = "replica"\` (everything on the replicas, unparsed: the same servers and backends as split on). **Split off, primary**: both parser keys false, \`default_role = "primary"\` (everything on the primary, \`pool_size = ${2 * opts.poolSize}\` so every side runs up to ${2 * opts.poolSize} backends)`,
      `- Order: each round runs the three sides, the order rotating every round; ratios are medians of per-round ratios`,
      cpu,
      `- Postgres CPU on replicas: the replicas' share of the CPU of the three servers' process trees (postmaster, backends, background processes) over the run: where the reads went`,
      list,
    ]
  }
  return [
    ...common,
    `- Pools: PgBouncer transaction mode \`default_pool_size = ${opts.poolSize}\`; Skiff transaction mode \`pool_size = ${opts.poolSize}\`; both in front of the same single primary that "direct" uses (fsync off). PgBouncer's auth_file holds the hashes from pg_authid (its usual setup), Skiff's config the plaintext passwords`,
    `- Order: each round runs direct, PgBouncer, Skiff, starting one later each round so no target always runs first; ratios are medians of per-round ratios`,
    cpu,
    list,
  ]
}
