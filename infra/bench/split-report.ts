/**
 * The `--split` report (issue 19, acceptance 7): Skiff with read/write splitting on against the same
 * Skiff with it off (on the same replicas, and on the primary), as per-round ratios with a confidence interval, since the question is whether two
 * near-equal figures are within 10 % of each other on a machine whose speed moves more than that.
 */
import {
  cpuCell,
  fmt,
  groups,
  median,
  medianOf,
  roundRatios,
  type Sample,
  type TargetName,
  tpsCell,
} from './report.js'

/** The bar: split on keeps at least this fraction of split off's tps. */
const BAR = 0.9

/**
 * A distribution-free confidence interval of at least 90 % for the median of `values`: the order
 * statistics x(k+1) and x(n−k) for the largest k with 2·P(Binomial(n, ½) ≤ k) ≤ 0.10 (the sign test).
 * Undefined below 5 values, where even [min, max] covers less than 90 %.
 */
export function medianInterval(values: number[]): [number, number] | undefined {
  const n = values.length
  const sorted = [...values].sort((a, b) => a - b)
  let pmf = 0.5 ** n // P(B = 0)
  let cdf = pmf
  if (2 * cdf > 0.1) return undefined
  let k = 0
  for (;;) {
    pmf = (pmf * (n - k)) / (k + 1) // P(B = k + 1)
    if (2 * (cdf + pmf) > 0.1) break
    cdf += pmf
    k++
  }
  return [sorted[k] as number, sorted[n - 1 - k] as number]
}

/** "0.97× (0.88–1.07)": median per-round ratio and its ≥ 90 % interval. */
function ratioCell(ratios: number[]): string {
  const m = median(ratios)
  if (m === undefined) return '—'
  const ci = medianInterval(ratios)
  return ci ? `${fmt(m, 2)}× (${fmt(ci[0], 2)}–${fmt(ci[1], 2)})` : `${fmt(m, 2)}×`
}

/** "97 %" of the Postgres CPU on the replicas (median over the rounds). */
function shareCell(samples: Sample[]): string {
  const share = medianOf(samples, 'replicaShare')
  return share === undefined ? '—' : `${fmt(share * 100)} %`
}

const side = (g: Sample[], target: TargetName) => g.filter((s) => s.target === target)

/**
 * The sides, as the table shows them. The verdict compares `split-on` with `split-off-replicas`:
 * the same servers and backends, so their ratio is what parsing and per-statement routing cost.
 * Against `split-off` (everything on the primary) the ratio also carries where the work runs.
 */
const SIDES: [TargetName, string][] = [
  ['split-off', 'off, primary'],
  ['split-off-replicas', 'off, replicas'],
  ['split-on', 'on'],
]

/** The head and cells of one row, for one workload and client count. */
function row(g: Sample[]): [string, string][] {
  const first = g[0] as Sample
  const cells: [string, string][] = [
    ['workload', first.workload.label],
    ['clients', String(first.clients)],
  ]
  for (const [target, label] of SIDES) cells.push([`tps ${label}`, tpsCell(side(g, target))])
  cells.push([
    'tps on / off, replicas (90 % CI)',
    ratioCell(roundRatios(g, 'split-on', 'split-off-replicas')),
  ])
  cells.push(['tps on / off, primary (90 % CI)', ratioCell(roundRatios(g, 'split-on', 'split-off'))])
  for (const [target, label] of SIDES) cells.push([`Skiff CPU µs/txn ${label}`, cpuCell(side(g, target))])
  const cpu = roundRatios(g, 'split-on', 'split-off-replicas', 'cpuUsPerTxn')
  cells.push(['CPU on / off, replicas (90 % CI)', ratioCell(cpu)])
  for (const [target, label] of SIDES)
    cells.push([`Postgres CPU on replicas, ${label}`, shareCell(side(g, target))])
  return cells
}

/**
 * The table: tps of each side, the on/off tps ratios, Skiff's CPU per transaction on each side and
 * the on/off-replicas CPU ratio (the steadier figure on a busy machine), and where the reads went.
 */
export function splitTable(samples: Sample[]): string {
  const rows = groups(samples).map(row)
  const head = (rows[0] ?? []).map(([h]) => h)
  const lines = rows.map((cells) => `| ${cells.map(([, c]) => c).join(' | ')} |`)
  return [`| ${head.join(' | ')} |`, `|${'---|'.repeat(head.length)}`, ...lines].join('\n')
}

/** "yes", "no" or "cannot tell" for one client count's per-round tps ratios. */
function judge(ratios: number[]): 'yes' | 'no' | 'cannot tell' {
  const m = median(ratios) ?? 0
  const ci = medianInterval(ratios) ?? [m, m]
  if (ci[0] >= BAR) return 'yes'
  if (ci[1] < BAR) return 'no'
  return 'cannot tell'
}

/**
 * Issue 19's acceptance, judged per client count: yes when the whole interval of the on/off tps ratio
 * is at or above 0.90, no when it is all below, else the run was too noisy to tell (more `--rounds`,
 * or a quieter machine). It only counts when the reads did go to the replicas: until Skiff routes by
 * statement, both sides run on the primary and the row is a null check.
 */
export function splitVerdict(samples: Sample[]): string[] {
  const lines = groups(samples).map((g) => {
    const ratios = roundRatios(g, 'split-on', 'split-off-replicas')
    const clients = (g[0] as Sample).clients
    if (ratios.length === 0) return `- ${clients} clients: no verdict (no round with both runs ok)`
    const few = medianInterval(ratios)
      ? ''
      : ` (only ${ratios.length} rounds: no interval, the median decides)`
    return `- ${clients} clients: **${judge(ratios)}**, median ${ratioCell(ratios)} over ${ratios.length} rounds${few}`
  })
  const head = `Split on within 10 % of split off on the same replicas (tps on / off ≥ ${BAR.toFixed(2)}× over the whole interval):`
  const shares = groups(samples).map((g) => medianOf(side(g, 'split-on'), 'replicaShare') ?? 0)
  if (shares.every((share) => share >= 0.5)) return [head, ...lines]
  const nullCheck =
    '**Null check only**: with splitting on, most Postgres CPU was still on the primary, so the reads did not go to the replicas (does this Skiff route by statement yet?). Both sides ran the same path; the ratio shows what this machine makes of two equal targets.'
  return [head, ...lines, '', nullCheck]
}
