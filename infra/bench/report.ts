/** Turns the per-round samples into the Markdown summary (medians, ratios, CPU per transaction). */
import type { Workload } from './workloads.js'

export type TargetName =
  | 'direct'
  | 'pgbouncer'
  | 'skiff'
  | 'split-off'
  | 'split-off-replicas'
  | 'split-on'
  | 'shard-skiff'
  | 'shard-direct'

/** The targets pgbench reaches without a proxy: the primary, or (`--shard`) shard 0's server. */
export type DirectName = 'direct' | 'shard-direct'

export const isDirect = (target: TargetName): target is DirectName =>
  target === 'direct' || target === 'shard-direct'

export const TARGET_LABELS: Record<TargetName, string> = {
  direct: 'direct',
  pgbouncer: 'PgBouncer',
  skiff: 'Skiff',
  'split-off': 'Skiff split off',
  'split-off-replicas': 'Skiff split off, replicas',
  'split-on': 'Skiff split on',
  'shard-skiff': 'Skiff, 3 shards',
  'shard-direct': 'shard 0 direct',
}

/** One pgbench run against one target. */
export interface Sample {
  workload: Workload
  clients: number
  round: number
  target: TargetName
  tps?: number
  txns?: number
  /** Proxy CPU (utime+stime) per processed transaction; proxies only. */
  cpuUsPerTxn?: number
  /**
   * `--split` only: the replicas' share of the Postgres CPU spent during the run (0–1), which shows
   * where the reads went.
   */
  replicaShare?: number
  /** pgbench's "number of failed transactions" (pgbench 15 and later). */
  failed?: number
  /** Clients pgbench stopped on an error (not in `failed`); set only when there were any. */
  abortedClients?: number
  /** Set when the run failed (its tps, if any, is then left out of medians and ratios). */
  error?: string
}

/** Middle value (mean of the two middle ones for an even count); undefined when empty. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export const ok = (s: Sample): boolean => s.error === undefined && s.tps !== undefined

export const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined
    ? '—'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** "12,345" (median of the successful runs), "12,345 (2/3 ok)", or "fails". */
export function tpsCell(samples: Sample[]): string {
  const good = samples.filter(ok)
  if (good.length === 0) return samples.length === 0 ? '—' : '**fails**'
  const cell = fmt(median(good.map((s) => s.tps ?? 0)))
  return good.length === samples.length ? cell : `${cell} (${good.length}/${samples.length} ok)`
}

/** Per-round ratios of `num`'s tps (or CPU per transaction) to `den`'s. */
export function roundRatios(
  samples: Sample[],
  num: TargetName,
  den: TargetName,
  field: 'tps' | 'cpuUsPerTxn' = 'tps',
): number[] {
  const ratios: number[] = []
  for (const a of samples.filter((s) => s.target === num && ok(s))) {
    const b = samples.find((s) => s.target === den && s.round === a.round && ok(s))
    const [x, y] = [a[field], b?.[field]]
    if (x !== undefined && y) ratios.push(x / y)
  }
  return ratios
}

/**
 * Median of per-round ratios, not the ratio of medians: both runs of a round saw the same machine
 * noise (the box is shared; absolute tps moves 15–25 % between runs).
 */
function ratioCell(samples: Sample[], num: TargetName, den: TargetName): string {
  const m = median(roundRatios(samples, num, den))
  return m === undefined ? '—' : `${fmt(m, 2)}×`
}

/** Median of a field over the successful runs. */
export function medianOf(samples: Sample[], field: 'cpuUsPerTxn' | 'replicaShare'): number | undefined {
  return median(samples.filter((s) => ok(s) && s[field] !== undefined).map((s) => s[field] ?? 0))
}

export function cpuCell(samples: Sample[]): string {
  return fmt(medianOf(samples, 'cpuUsPerTxn'), 1)
}

/** Groups samples by (workload, clients), in first-seen order. */
export function groups(samples: Sample[]): Sample[][] {
  const map = new Map<string, Sample[]>()
  for (const s of samples) {
    const key = `${s.workload.name}/${s.clients}`
    map.set(key, [...(map.get(key) ?? []), s])
  }
  return [...map.values()]
}

/** The summary table: one row per workload and client count. */
export function summaryTable(samples: Sample[]): string {
  const head =
    '| workload | clients | direct tps | PgBouncer tps | Skiff tps | Skiff / PgBouncer | Skiff / direct | PgBouncer CPU µs/txn | Skiff CPU µs/txn |'
  const rows = groups(samples).map((g) => {
    const by = (t: TargetName) => g.filter((s) => s.target === t)
    const first = g[0] as Sample
    const cells = [
      first.workload.label,
      String(first.clients),
      tpsCell(by('direct')),
      tpsCell(by('pgbouncer')),
    ]
    cells.push(tpsCell(by('skiff')), ratioCell(g, 'skiff', 'pgbouncer'), ratioCell(g, 'skiff', 'direct'))
    cells.push(cpuCell(by('pgbouncer')), cpuCell(by('skiff')))
    return `| ${cells.join(' | ')} |`
  })
  return [head, `|${'---|'.repeat(9)}`, ...rows].join('\n')
}

/** One line per distinct failure: which target, how often, and pgbench's first error line. */
export function failureLines(samples: Sample[]): string[] {
  const counts = new Map<string, number>()
  for (const s of samples.filter((x) => x.error !== undefined)) {
    const key = `${s.workload.label} c${s.clients} **${TARGET_LABELS[s.target]}**: ${s.error}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `- ${key} (${n}×)`)
}

/**
 * Every run, for the file: lets a reader check the medians and see the spread. The replicas' share
 * of Postgres CPU only when measured (`--split`), failed transactions only for `--shard`.
 */
export function rawTable(samples: Sample[]): string {
  const shares = samples.some((s) => s.replicaShare !== undefined)
  const failed = samples.some((s) => s.target.startsWith('shard-'))
  const rows = samples.map((s) => {
    const cells = [s.workload.name, s.clients, s.round, TARGET_LABELS[s.target], fmt(s.tps), s.txns ?? '—']
    cells.push(fmt(s.cpuUsPerTxn, 1))
    if (shares) cells.push(s.replicaShare === undefined ? '—' : `${fmt(s.replicaShare * 100)} %`)
    if (failed)
      cells.push(`${s.failed ?? '—'}${s.abortedClients ? ` (${s.abortedClients} clients aborted)` : ''}`)
    return `| ${[...cells, s.error ?? ''].join(' | ')} |`
  })
  const head = ['workload', 'clients', 'round', 'target', 'tps', 'txns', 'CPU µs/txn']
  if (shares) head.push('Postgres CPU on replicas')
  if (failed) head.push('failed txns')
  head.push('error')
  return [`| ${head.join(' | ')} |`, `|${'---|'.repeat(head.length)}`, ...rows].join('\n')
}
