/** Command-line options of `npm run bench`. */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

/** Settings of one benchmark run. */
export interface BenchOptions {
  /** pgbench scale of the topology's database (10 is the reference: 1M accounts). */
  scale: number
  /** Rounds per workload; each round runs every target once. */
  rounds: number
  /** Seconds per pgbench run (`-T`). */
  duration: number
  /** Client counts (`-c`); every workload runs at each. */
  clients: number[]
  /** Server connections per user in PgBouncer and Skiff alike. */
  poolSize: number
  /** Which topology user pgbench logs in as. */
  user: 'scram' | 'md5'
  /** Workload names to run (all when empty). */
  only: string[]
  /**
   * Issue 19's read/write splitting row instead of the usual three targets: Skiff with splitting on
   * and off in front of a primary and two streaming replicas, pgbench `-S -M simple`.
   */
  split: boolean
  /**
   * Issue 20's sharding rows instead: Skiff over three shard primaries with `automatic_sharding_key`
   * against shard 0 direct, a custom pgbench script with the key in its WHERE clauses, `-M simple`,
   * `extended` and `prepared`.
   */
  shard: boolean
  /** Markdown report path. */
  out: string
}

export const USAGE = `usage: npm run bench -- [options]
  --quick           smoke test: scale 1, 1 round, 3 s runs (explicit options still win)
  --scale N         pgbench scale of the database (default 10)
  --rounds N        rounds per workload, each running every target once (default 3; --split 12; --shard 5)
  --duration S      seconds per pgbench run (default 8; --split 4; --shard 4)
  --clients N[,N]   pgbench clients; every workload runs at each count (default 16)
  --pool-size N     server connections in PgBouncer and Skiff alike (default 4)
  --user scram|md5  login user and auth method (default scram)
  --only W[,W]      workloads: select, extended, prepared, tpcb, connect (default all);
                    with --shard: simple, extended, prepared
  --split           only the read/write splitting row (npm run bench:split): Skiff with splitting
                    on vs off over a primary + 2 streaming replicas, pgbench -S -M simple
  --shard           only the sharding rows (npm run bench:shard): Skiff over 3 shard primaries
                    vs shard 0 direct, a script with the key in its WHERE clauses, -M simple,
                    extended and prepared; --scale does not apply
  --out FILE        report file (default bench-results/latest.md, with --split
                    bench-results/split-latest.md, with --shard bench-results/shard-latest.md)`

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`)
  return n
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/**
 * Parses argv (without node and script).
 * @returns undefined when --help was asked for.
 * @throws Error with a message for the user on a bad value.
 */
export function parseBenchArgs(argv: string[], repoRoot: string): BenchOptions | undefined {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      scale: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      clients: { type: 'string' },
      'pool-size': { type: 'string' },
      user: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      split: { type: 'boolean' },
      shard: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) return undefined
  const quick = v.quick ?? false
  const clients = list(v.clients).map((c) => positiveInt(c, 'clients', 16))
  if (v.user !== undefined && v.user !== 'scram' && v.user !== 'md5')
    throw new Error('--user must be scram or md5')
  const split = v.split ?? false
  const shard = v.shard ?? false
  if (split && shard) throw new Error('--split and --shard are separate runs: pick one')
  if (split && v.only !== undefined) throw new Error('--only does not apply to --split (it has one workload)')
  const defaultOut = split
    ? 'bench-results/split-latest.md'
    : shard
      ? 'bench-results/shard-latest.md'
      : 'bench-results/latest.md'
  // --split compares two near-equal sides against a 10 % bar: more, shorter rounds, so the two runs
  // of a pair see nearly the same machine and the median has more pairs to work with. --shard: three
  // modes × two targets, the whole run within about three minutes.
  const [rounds, duration] = quick ? [1, 3] : split ? [12, 4] : shard ? [5, 4] : [3, 8]
  return {
    scale: positiveInt(v.scale, 'scale', quick ? 1 : 10),
    rounds: positiveInt(v.rounds, 'rounds', rounds),
    duration: positiveInt(v.duration, 'duration', duration),
    clients: clients.length > 0 ? clients : [16],
    poolSize: positiveInt(v['pool-size'], 'pool-size', 4),
    user: v.user ?? 'scram',
    only: list(v.only),
    split,
    shard,
    out: resolve(v.out ?? resolve(repoRoot, defaultOut)),
  }
}
