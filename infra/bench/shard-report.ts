/**
 * The `--shard` report (issue 20, acceptance 4): tps through Skiff over three shards next to one shard
 * direct, and whether any transaction failed. A read Skiff sends to the wrong shard finds no row and
 * fails its transaction (`\gset`), so a routing fault shows as failures here, never as a crash.
 */
import { cpuCell, fmt, groups, median, roundRatios, type Sample, type TargetName, tpsCell } from './report.js'

const side = (g: Sample[], target: TargetName) => g.filter((s) => s.target === target)

/** A run with an error, a failed transaction, or no failure count from pgbench (so no proof of none). */
const failedRun = (s: Sample): boolean =>
  s.error !== undefined || s.failed !== 0 || s.abortedClients !== undefined

/**
 * "0", or "12; 16 clients aborted; **2/5 runs failed**": pgbench's failed transactions and aborted
 * clients summed over the runs, and the runs that failed.
 */
function failedCell(samples: Sample[]): string {
  if (samples.length === 0) return '—'
  const counted = samples.reduce((n, s) => n + (s.failed ?? 0), 0)
  const aborted = samples.reduce((n, s) => n + (s.abortedClients ?? 0), 0)
  const unknown = samples.filter((s) => s.error === undefined && s.failed === undefined).length
  const broken = samples.filter((s) => s.error !== undefined).length
  const parts = [fmt(counted)]
  if (aborted > 0) parts.push(`${fmt(aborted)} clients aborted`)
  if (unknown > 0) parts.push(`${unknown} run(s) without a count`)
  if (broken > 0) parts.push(`**${broken}/${samples.length} runs failed**`)
  return parts.join('; ')
}

/**
 * One row per query mode: tps of each side, the median per-round ratio, Skiff's CPU per transaction,
 * and the failed transactions of each side.
 */
export function shardTable(samples: Sample[]): string {
  const head =
    '| workload | clients | Skiff, 3 shards tps | shard 0 direct tps | Skiff / direct | Skiff CPU µs/txn | failed txns, Skiff | failed txns, direct |'
  const rows = groups(samples).map((g) => {
    const first = g[0] as Sample
    const [skiff, direct] = [side(g, 'shard-skiff'), side(g, 'shard-direct')]
    const ratio = median(roundRatios(g, 'shard-skiff', 'shard-direct'))
    const cells = [first.workload.label, String(first.clients), tpsCell(skiff), tpsCell(direct)]
    cells.push(ratio === undefined ? '—' : `${fmt(ratio, 2)}×`, cpuCell(skiff))
    cells.push(failedCell(skiff), failedCell(direct))
    return `| ${cells.join(' | ')} |`
  })
  return [head, `|${'---|'.repeat(8)}`, ...rows].join('\n')
}

/** Why the first bad run is bad, for the verdict line. */
function firstProblem(runs: Sample[]): string {
  const bad = runs.find(failedRun) as Sample
  const aborted = bad.abortedClients ? ` (${bad.abortedClients} clients aborted)` : ''
  if (bad.error !== undefined) return `round ${bad.round}: ${bad.error}${aborted}`
  if (bad.failed === undefined)
    return `round ${bad.round}: pgbench printed no "number of failed transactions"`
  return `round ${bad.round}: ${bad.failed} failed transactions${aborted}`
}

/** One verdict line for one mode and client count. */
function verdictLine(g: Sample[]): string {
  const first = g[0] as Sample
  const what = `${first.workload.label}, ${first.clients} clients`
  const runs = side(g, 'shard-skiff')
  const bad = runs.filter(failedRun)
  const direct = side(g, 'shard-direct').filter(failedRun).length
  const directNote =
    direct > 0
      ? ` (shard 0 direct failed too in ${direct} run(s): look at the script or the data before the routing)`
      : ''
  if (runs.length === 0) return `- ${what}: **no** (no run through Skiff)`
  if (bad.length > 0) {
    return `- ${what}: **no**, ${bad.length} of ${runs.length} runs; first: ${firstProblem(bad)}${directNote}`
  }
  const txns = runs.reduce((n, s) => n + (s.txns ?? 0), 0)
  const count = runs.length === 1 ? '1 run' : `${runs.length} runs`
  return `- ${what}: **yes** (${count}, ${fmt(txns)} transactions, every one through Skiff ok)${directNote}`
}

/**
 * Whether the UPDATEs reached their rows: each transaction pgbench counted through Skiff added 1 to
 * one row's balance, so the shards' total is at least that count (more with the warm-up and the
 * transactions cut off at the end). An UPDATE sent to a shard without the row fails nothing; a total
 * below the count is the only sign of it.
 */
function updatesLine(samples: Sample[], balances: number[]): string {
  const counted = samples.filter((s) => s.target === 'shard-skiff').reduce((n, s) => n + (s.txns ?? 0), 0)
  const total = balances.reduce((a, b) => a + b, 0)
  const perShard = balances.map((b) => fmt(b)).join(' / ')
  const verdict =
    total >= counted ? '**yes**' : `**no**: at least ${fmt(counted - total)} updates did not reach their row`
  return `Every UPDATE through Skiff reached its row: ${verdict} (sum(balance) of sh_bench over the shards ${fmt(total)}, ${perShard} per shard; transactions counted through Skiff, warm-up not included: ${fmt(counted)}; the sum may only be larger)`
}

/**
 * Issue 20's acceptance, per mode: yes only when every run through Skiff exited 0, logged no error
 * and reported `number of failed transactions: 0`. With `balances` (each shard's sum(balance) after
 * the runs), a line on whether the UPDATEs reached their rows too.
 */
export function shardVerdict(samples: Sample[], balances?: number[]): string[] {
  const head =
    'No failed transaction through Skiff over 3 shards (every run: pgbench exit 0, no error line, `number of failed transactions: 0`; a client that aborts, e.g. a `\\gset` that found no row, fails the run):'
  const updates = balances ? ['', updatesLine(samples, balances)] : []
  return [head, ...groups(samples).map(verdictLine), ...updates]
}
