/** The pgbench workloads of the benchmark (see docs: shared/reference/performance.md, "How to benchmark"). */

/** One pgbench workload: its extra flags and what it exercises. */
export interface Workload {
  /** Short name for `--only` and the raw results. */
  name: string
  /** Label in the report. */
  label: string
  /** Flags added to `pgbench -n -T <s> -c <n> -j <j>`. */
  args: string[]
  /** Why it is in the set, printed under the table. */
  note: string
}

export const WORKLOADS: Workload[] = [
  {
    name: 'select',
    label: '`-S` simple',
    args: ['-S'],
    note: 'one SELECT per transaction, simple protocol: pure round-trip cost',
  },
  {
    name: 'extended',
    label: '`-S -M extended`',
    args: ['-S', '-M', 'extended'],
    note: 'Parse/Bind/Execute/Sync with the unnamed statement every time',
  },
  {
    name: 'prepared',
    label: '`-S -M prepared`',
    args: ['-S', '-M', 'prepared'],
    note: 'named prepared statements; needs the pooler to track them (PgBouncer 1.18 cannot)',
  },
  {
    name: 'tpcb',
    label: 'TPC-B',
    args: [],
    note: 'BEGIN, 3 UPDATEs, SELECT, INSERT, END: multi-statement transactions',
  },
  {
    name: 'connect',
    label: '`-S -C` (new connection per txn)',
    args: ['-S', '-C'],
    note: 'connection setup + authentication per transaction: where a pooler pays off',
  },
]

/**
 * `--split` (issue 19, acceptance 7): `-M simple` makes pgbench write each random aid into the
 * statement text (`... WHERE aid = 48213`) instead of sending `$1` with a parameter, so no two calls
 * carry the same text and a router cannot coast on a per-text cache.
 */
export const SPLIT_WORKLOAD: Workload = {
  name: 'split',
  label: '`-S -M simple` (read/write splitting)',
  args: ['-S', '-M', 'simple'],
  note: 'one SELECT per transaction, the random aid inlined, so the statement text differs on every call',
}

/**
 * `--shard` (issue 20, acceptance 4): the script of shard-setup.ts (`-f`, added per target) in each
 * query mode, since Skiff reads the key from a different place in each.
 */
export const SHARD_WORKLOADS: Workload[] = [
  {
    name: 'simple',
    label: '`-M simple`',
    args: ['-M', 'simple'],
    note: 'the key inlined in the statement text, read from its literal',
  },
  {
    name: 'extended',
    label: '`-M extended`',
    args: ['-M', 'extended'],
    note: 'the unnamed statement every time, the key read from the Bind parameter',
  },
  {
    name: 'prepared',
    label: '`-M prepared`',
    args: ['-M', 'prepared'],
    note: 'named statements prepared once per client (Skiff prepares them on each shard it routes to), the key read from the Bind parameter',
  },
]

/**
 * The workloads of `from` named in `only` (all when it is empty).
 * @throws on an unknown name.
 */
export function selectWorkloads(only: string[], from: Workload[] = WORKLOADS): Workload[] {
  for (const name of only) {
    if (!from.some((w) => w.name === name)) {
      throw new Error(`unknown workload "${name}" (known: ${from.map((w) => w.name).join(', ')})`)
    }
  }
  return only.length === 0 ? from : from.filter((w) => only.includes(w.name))
}
