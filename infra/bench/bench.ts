/**
 * `npm run bench`: pgbench against direct Postgres, PgBouncer and Skiff in alternation, several
 * rounds per workload, on one machine in one run (the method of the performance reference's
 * "How to benchmark" section). Prints a Markdown summary and writes it to bench-results/latest.md.
 *
 *   npm run bench -- [--quick] [--scale N] [--rounds N] [--duration S] [--clients N,...] ...
 *
 * `--split` (`npm run bench:split`) runs issue 19's read/write splitting row instead: Skiff with
 * splitting off and on, in front of a primary and two streaming replicas; report in
 * bench-results/split-latest.md.
 *
 * `--shard` (`npm run bench:shard`) runs issue 20's sharding rows instead: Skiff over three shard
 * primaries routing by `automatic_sharding_key`, next to shard 0 direct, a custom script in
 * `-M simple`, `extended` and `prepared`; report in bench-results/shard-latest.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineLines, settingsLines } from './machine.js'
import { type BenchOptions, parseBenchArgs, USAGE } from './options.js'
import { killAll } from './procs.js'
import { failureLines, rawTable, type Sample, summaryTable } from './report.js'
import { runAll, warmUp } from './runner.js'
import { shardTable, shardVerdict } from './shard-report.js'
import { shardBalances } from './shard-setup.js'
import { splitTable, splitVerdict } from './split-report.js'
import { type BenchEnv, makeWorkDir, setUp, targetsOf, tearDown } from './targets.js'
import { SHARD_WORKLOADS, SPLIT_WORKLOAD, selectWorkloads, type Workload } from './workloads.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const say = (line: string): void => console.error(`[bench] ${line}`)

let env: BenchEnv | undefined

function report(e: BenchEnv, workloads: Workload[], samples: Sample[], startedAt: Date): string {
  const failures = failureLines(samples)
  const what = e.opts.split
    ? 'read/write splitting benchmark'
    : e.opts.shard
      ? 'sharding benchmark'
      : 'benchmark'
  const table = e.opts.split
    ? [splitTable(samples), '', ...splitVerdict(samples)]
    : e.opts.shard
      ? [shardTable(samples), '', ...shardVerdict(samples, e.shard?.balances)]
      : [summaryTable(samples)]
  return [
    `# Skiff ${what}, ${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    '',
    ...machineLines(),
    ...settingsLines(e.opts, workloads, e.shard?.rows),
    '',
    ...table,
    '',
    ...(failures.length > 0 ? ['Failures:', ...failures, ''] : []),
    ...(e.restarts.length > 0 ? ['Proxy restarts:', ...e.restarts.map((r) => `- ${r}`), ''] : []),
  ].join('\n')
}

/** Hard upper bound on the whole run, so a wedged proxy can never leave it hanging. */
function watchdog(opts: BenchOptions, workloads: Workload[]): void {
  const targets = targetsOf(opts).length
  const runs = workloads.length * opts.clients.length * opts.rounds * targets + targets
  const seconds = runs * (opts.duration + 70) + 900 // + topology start at the reference scale
  setTimeout(() => {
    say(`watchdog: still running after ${seconds} s; giving up`)
    void shutdown(1)
  }, seconds * 1000).unref()
}

let shuttingDown = false

/** Kills pgbench and the proxies, stops Postgres, exits. Used for signals and the watchdog. */
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true
    if (env) env.aborted = true
    await killAll()
    if (env) await tearDown(env, true).catch((err: unknown) => say(`cleanup: ${String(err)}`))
  }
  process.exit(code)
}

async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2), repoRoot)
  if (!opts) {
    console.log(USAGE)
    return 0
  }
  const workloads = opts.split
    ? [SPLIT_WORKLOAD]
    : selectWorkloads(opts.only, opts.shard ? SHARD_WORKLOADS : undefined)
  process.on('SIGINT', () => void shutdown(130))
  process.on('SIGTERM', () => void shutdown(143))
  watchdog(opts, workloads)
  const startedAt = new Date()
  env = { repoRoot, opts, dir: makeWorkDir(), proxies: {}, restarts: [] }
  let failed = true
  try {
    await setUp(env)
    await warmUp(env, workloads[0] as Workload)
    const samples = await runAll(env, workloads)
    // shutdown() is exiting the process: a partial table must not replace the last full report.
    if (env.aborted) return 1
    if (env.shard && env.topology) env.shard.balances = shardBalances(env.topology)
    const markdown = report(env, workloads, samples, startedAt)
    mkdirSync(dirname(opts.out), { recursive: true })
    writeFileSync(opts.out, `${markdown}\n## Every run\n\n${rawTable(samples)}\n`)
    console.log(`\n${markdown}`)
    say(`written to ${opts.out}`)
    failed = samples.some((s) => s.error !== undefined)
    return 0
  } finally {
    const done = env
    env = undefined // torn down here: shutdown() must not do it again
    await tearDown(done, failed)
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`)
    await shutdown(1)
  },
)
