/**
 * Command line of `npm run test:pg-regress`.
 * @module
 */
import { isAbsolute, join, resolve } from 'node:path'
import type { Mode } from './regress-output.js'

/** What one run of the runner does. */
export interface RegressOptions {
  modes: Mode[]
  /** Where the summary and each mode's outputs go. */
  out: string
  /** The built src/test/regress; unset runs infra/scripts/pg-regress-build.sh (cached) to get it. */
  regressDir?: string
  /** Seconds one pg_regress run may take before it is killed. */
  runTimeout: number
  /** Seconds one test's psql may run before it is killed (the test fails, the run goes on). */
  testTimeout: number
  /** Keep the Postgres cluster and pg_regress work dirs after the run. */
  keep: boolean
}

/** Printed for --help. */
export const USAGE = `usage: npm run test:pg-regress -- [options]

Runs Postgres's own regression suite (pg_regress, parallel_schedule, --use-existing) against a fresh
local Postgres: directly, then through an in-process Skiff gateway in session mode (a backend per
session: session_server_reuse = false), in session mode reusing backends (the default), and in
transaction mode, and compares the failures. Exits 1 when session mode fails a test that passes
directly.

  --modes LIST         comma-separated, in run order (default direct,session,session-reuse,transaction)
  --out DIR            summary.md and per-mode outputs (default pg-regress-results)
  --regress-dir DIR    a built src/test/regress (default: infra/scripts/pg-regress-build.sh's cache)
  --run-timeout S      seconds per pg_regress run before it is killed (default 600)
  --test-timeout S     seconds one test's psql may run before it is killed (default 120)
  --keep               keep the cluster and work dirs (printed at the end)`

const MODES: readonly Mode[] = ['direct', 'session', 'session-reuse', 'transaction']

function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`)
  return n
}

function parseModes(value: string | undefined): Mode[] {
  const modes = (value ?? '').split(',').filter(Boolean)
  const unknown = modes.filter((m) => !MODES.includes(m as Mode))
  if (modes.length === 0 || unknown.length > 0) {
    throw new Error(`--modes takes a list of ${MODES.join(', ')}, got "${value}"`)
  }
  return [...new Set(modes as Mode[])]
}

/**
 * Parses argv (without node and the script). Relative paths are taken from `cwd`, except that the
 * default --out sits in the repository.
 * @returns undefined for --help.
 * @throws on an unknown option or a bad value.
 */
export function parseRegressArgs(argv: string[], repoRoot: string, cwd: string): RegressOptions | undefined {
  const opts: RegressOptions = {
    modes: [...MODES],
    out: join(repoRoot, 'pg-regress-results'),
    runTimeout: 600,
    testTimeout: 120,
    keep: false,
  }
  const path = (p: string | undefined, name: string): string => {
    if (!p) throw new Error(`--${name} needs a value`)
    return isAbsolute(p) ? p : resolve(cwd, p)
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag = '', inline] = argv[i]?.split(/=(.*)/s) ?? []
    const value = (): string | undefined => inline ?? argv[++i]
    switch (flag) {
      case '--help':
      case '-h':
        return undefined
      case '--modes':
        opts.modes = parseModes(value())
        break
      case '--out':
        opts.out = path(value(), 'out')
        break
      case '--regress-dir':
        opts.regressDir = path(value(), 'regress-dir')
        break
      case '--run-timeout':
        opts.runTimeout = positive('run-timeout', value())
        break
      case '--test-timeout':
        opts.testTimeout = positive('test-timeout', value())
        break
      case '--keep':
        opts.keep = true
        break
      default:
        throw new Error(`unknown option "${argv[i]}"\n${USAGE}`)
    }
  }
  return opts
}
