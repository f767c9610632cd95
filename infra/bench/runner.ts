/** The measuring loop: pgbench runs against each target in alternation, with proxy CPU accounting. */
import type { Topology } from '../src/index.js'
import { runPgbench } from './pgbench.js'
import { cpuMicros, treeCpuMicros } from './procs.js'
import { isDirect, type Sample, TARGET_LABELS, type TargetName } from './report.js'
import { type BenchEnv, ensureProxy, targetsOf } from './targets.js'
import type { Workload } from './workloads.js'

const say = (line: string): void => console.error(`[bench] ${line}`)

/** What to run in one pgbench invocation; round 0 is the unrecorded warm-up. */
interface RunSpec {
  workload: Workload
  clients: number
  round: number
  /** Seconds. */
  duration: number
}

/** Where pgbench connects for a target. */
function portOf(e: BenchEnv, target: TargetName): number {
  if (target === 'direct') return e.topology?.primary.port ?? 0
  if (target === 'shard-direct') return e.topology?.shards[0]?.port ?? 0
  return e.proxies[target]?.port ?? 0
}

/** `--shard`: pgbench's script for a target (the routed one through Skiff, shard 0's own straight to it). */
function workloadOf(e: BenchEnv, target: TargetName, workload: Workload): Workload {
  if (!e.shard) return workload
  const script = target === 'shard-direct' ? e.shard.scripts.direct : e.shard.scripts.routed
  return { ...workload, args: [...workload.args, '-f', script] }
}

/** CPU so far of the primary's and the replicas' whole process trees (postmaster, backends, workers). */
function postgresCpu(topology: Topology): { primary?: number; replicas?: number } {
  const replicas = topology.replicas.map((r) => treeCpuMicros(r.pid()))
  if (replicas.length === 0 || replicas.some((us) => us === undefined)) return {}
  return {
    primary: treeCpuMicros(topology.primary.pid()),
    replicas: replicas.reduce<number>((sum, us) => sum + (us ?? 0), 0),
  }
}

/** The replicas' share of the Postgres CPU between two readings, if both are complete. */
function replicaShare(before: ReturnType<typeof postgresCpu>, after: ReturnType<typeof postgresCpu>) {
  const { primary: p0, replicas: r0 } = before
  const { primary: p1, replicas: r1 } = after
  if (p0 === undefined || r0 === undefined || p1 === undefined || r1 === undefined) return undefined
  const total = p1 - p0 + (r1 - r0)
  return total > 0 ? (r1 - r0) / total : undefined
}

/**
 * One pgbench run against one target, with the proxy's CPU time over the run (direct Postgres
 * has no single process to charge: each connection is its own backend).
 */
async function runOne(e: BenchEnv, target: TargetName, spec: RunSpec): Promise<Sample> {
  const { workload, clients, round, duration } = spec
  const sample: Sample = { workload, clients, round, target }
  const problem = isDirect(target) ? undefined : await ensureProxy(e, target)
  if (problem) return { ...sample, error: problem }
  const proxy = isDirect(target) ? undefined : e.proxies[target]
  const topology = e.topology!
  const user = e.opts.user === 'md5' ? topology.users.md5 : topology.users.scram
  const pgBefore = postgresCpu(topology)
  const cpuBefore = cpuMicros(proxy?.daemon.pid())
  const result = await runPgbench({
    port: portOf(e, target),
    user,
    database: e.shard ? topology.shardDatabase : topology.database,
    workload: workloadOf(e, target, workload),
    clients,
    duration,
  })
  const cpuAfter = cpuMicros(proxy?.daemon.pid())
  const share = replicaShare(pgBefore, postgresCpu(topology))
  Object.assign(sample, result)
  if (share !== undefined) sample.replicaShare = share
  if (cpuBefore !== undefined && cpuAfter !== undefined && result.txns) {
    sample.cpuUsPerTxn = (cpuAfter - cpuBefore) / result.txns
  }
  // A proxy that crashed mid-run explains the failure better than pgbench's connection errors.
  if (proxy && proxy.daemon.pid() === undefined) {
    sample.error = `${TARGET_LABELS[target]} exited during the run (${proxy.daemon.exitReason()}); ${sample.error ?? ''}`
  }
  return sample
}

function progress(s: Sample, rounds: number): void {
  const what = `${s.workload.name} c${s.clients} round ${s.round}/${rounds} ${TARGET_LABELS[s.target].padEnd(9)}`
  const cpu = s.cpuUsPerTxn === undefined ? '' : `, ${s.cpuUsPerTxn.toFixed(1)} µs/txn`
  const share =
    s.replicaShare === undefined ? '' : `, ${(s.replicaShare * 100).toFixed(0)} % of Postgres CPU on replicas`
  const failed = s.failed ? `, ${s.failed} failed transactions` : ''
  say(`${what} ${s.error ? `FAILED: ${s.error}` : `${s.tps?.toFixed(0)} tps${cpu}${share}`}${failed}`)
}

/**
 * Every workload × client count × round, targets in a rotating order: the box drifts (other
 * tenants, Postgres caches, table growth from TPC-B), and no target should always go first.
 */
export async function runAll(e: BenchEnv, workloads: Workload[]): Promise<Sample[]> {
  const samples: Sample[] = []
  const targets = targetsOf(e.opts)
  for (const workload of workloads) {
    for (const clients of e.opts.clients) {
      for (let round = 1; round <= e.opts.rounds; round++) {
        const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as TargetName)
        for (const target of order) {
          if (e.aborted) return samples
          const sample = await runOne(e, target, { workload, clients, round, duration: e.opts.duration })
          progress(sample, e.opts.rounds)
          samples.push(sample)
        }
      }
    }
  }
  return samples
}

const WARM_UP: Workload = { name: 'warm-up', label: 'warm-up', args: ['-S'], note: 'not recorded' }

/**
 * A short unrecorded run per target: fills pools, warms caches and Skiff's JIT. `-S`, or with
 * `--shard` (whose databases have no pgbench tables) the first measured workload.
 */
export async function warmUp(e: BenchEnv, first: Workload): Promise<void> {
  // --split: longer, so the first pair's second run is not the one still paying for JIT warm-up.
  const duration = e.opts.split ? 5 : e.opts.shard ? 3 : 2
  const workload = e.opts.shard ? { ...first, name: 'warm-up', note: 'not recorded' } : WARM_UP
  const spec = { workload, clients: Math.max(...e.opts.clients), round: 0, duration }
  for (const target of targetsOf(e.opts)) {
    const s = await runOne(e, target, spec)
    if (s.error) say(`warm-up ${TARGET_LABELS[target]} failed: ${s.error}`)
  }
}
