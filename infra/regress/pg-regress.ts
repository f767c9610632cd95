/**
 * `npm run test:pg-regress`: Postgres's own regression suite (pg_regress, parallel_schedule of the
 * installed server's version, --use-existing) against a fresh local cluster, directly, through an
 * in-process Skiff gateway in session mode and in transaction mode. Prints a Markdown summary and
 * writes it to pg-regress-results/summary.md with each mode's outputs beside it.
 *
 *   npm run test:pg-regress -- [--modes direct,session,transaction] [--out DIR] [--help] ...
 *
 * Exit code 1 when session mode fails a test that passes directly (or either run breaks down);
 * transaction-mode failures are only reported.
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Gateway } from '../../gateway/src/gateway.js'
import { findPgBin } from '../src/index.js'
import {
  createRegressionDatabase,
  REGRESS_DATABASE,
  type RegressCluster,
  resetCluster,
  startRegressCluster,
} from './regress-cluster.js'
import { startRegressGateway } from './regress-gateway.js'
import { parseRegressArgs, type RegressOptions, USAGE } from './regress-options.js'
import { failedTests, judge, type Mode, type ModeRun, summaryMarkdown } from './regress-output.js'
import { killActiveRuns, regressArgs, runPgRegress } from './regress-run.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const say = (line: string): void => console.error(`[pg-regress] ${line}`)

/** What is running, for shutdown on a signal or the watchdog. */
const live: { cluster?: RegressCluster; gateway?: Gateway; workDir?: string; keep?: boolean } = {}

/** The build script's cached src/test/regress (building it the first time, about half a minute). */
function buildSuite(): string {
  const script = join(repoRoot, 'infra/scripts/pg-regress-build.sh')
  const result = spawnSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  const dir = result.stdout?.trim().split('\n').pop()
  if (result.status !== 0 || !dir) throw new Error(`${script} failed (exit code ${result.status})`)
  return dir
}

/** "postgresql-15 15.18-0+deb12u1" from the source tree's debian/changelog. */
function suiteSource(regressDir: string): string {
  const changelog = join(regressDir, '../../../debian/changelog')
  const first = existsSync(changelog) ? readFileSync(changelog, 'utf8').split('\n')[0] : undefined
  const match = first && /^(\S+) \(([^)]+)\)/.exec(first)
  return match ? `${match[1]} ${match[2]}` : `(not a Debian source tree: ${regressDir})`
}

/**
 * Drops what the last run created; if that fails (the suite can leave things that block DROP DATABASE),
 * replaces the cluster with a fresh one, so the next run starts equal either way.
 */
async function resetOrReplace(cluster: RegressCluster, after: Mode, keep: boolean): Promise<RegressCluster> {
  try {
    const dropped = await resetCluster(cluster)
    if (dropped.length > 0) say(`after ${after}: dropped what the run left behind: ${dropped.join(', ')}`)
    return cluster
  } catch (err) {
    say(`after ${after}: could not reset the cluster (${(err as Error).message}); starting a fresh one`)
    live.cluster = undefined
    await cluster.topology.stop()
    live.cluster = await startRegressCluster(say, keep)
    return live.cluster
  }
}

async function runMode(mode: Mode, cluster: RegressCluster, opts: RegressOptions, regressDir: string) {
  const { topology, runAs } = cluster
  const su = topology.users.superuser
  await createRegressionDatabase(cluster)
  let port = topology.primary.port
  if (mode !== 'direct') {
    const options = {
      poolMode: mode === 'transaction' ? ('transaction' as const) : ('session' as const),
      sessionReuse: mode === 'session-reuse',
      serverPort: port,
      database: REGRESS_DATABASE,
      user: su,
    }
    live.gateway = await startRegressGateway(options)
    port = live.gateway.port
  }
  say(`${mode}: pg_regress against 127.0.0.1:${port}${mode === 'direct' ? '' : ` (Skiff, ${mode} mode)`}`)
  try {
    return await runPgRegress({
      mode,
      regressDir,
      host: '127.0.0.1',
      port,
      user: su.username,
      password: su.password,
      database: REGRESS_DATABASE,
      workDir: join(live.workDir ?? tmpdir(), mode),
      outDir: join(opts.out, mode),
      runAs,
      runTimeoutMs: opts.runTimeout * 1000,
      testTimeoutMs: opts.testTimeout * 1000,
      log: say,
    })
  } finally {
    await live.gateway?.stop()
    live.gateway = undefined
  }
}

async function main(): Promise<number> {
  const opts = parseRegressArgs(process.argv.slice(2), repoRoot, process.cwd())
  if (!opts) {
    console.log(USAGE)
    return 0
  }
  const startedAt = new Date()
  process.on('SIGINT', () => void shutdown(130))
  process.on('SIGTERM', () => void shutdown(143))
  const limit = opts.modes.length * opts.runTimeout + 300
  setTimeout(() => {
    say(`watchdog: still running after ${limit} s; giving up`)
    void shutdown(1)
  }, limit * 1000).unref()

  const regressDir = opts.regressDir ?? buildSuite()
  const serverVersion = execFileSync(findPgBin('postgres'), ['--version'], { encoding: 'utf8' }).trim()
  live.keep = opts.keep
  live.workDir = mkdtempSync(join(tmpdir(), 'skiff-pg-regress-'))
  let cluster = await startRegressCluster(say, opts.keep)
  live.cluster = cluster
  if (cluster.runAs) chownSync(live.workDir, cluster.runAs.uid, cluster.runAs.gid)
  say(`Postgres on 127.0.0.1:${cluster.topology.primary.port}; work dir ${live.workDir}`)

  const runs: ModeRun[] = []
  for (const mode of opts.modes) {
    const previous = runs.at(-1)?.mode
    if (previous) cluster = await resetOrReplace(cluster, previous, opts.keep)
    const run = await runMode(mode, cluster, opts, regressDir)
    const failed = failedTests(run.results).length
    say(
      `${mode}: ${run.results.length} tests, ${failed} failed, ${run.seconds.toFixed(0)} s${run.error ? `; ${run.error}` : ''}`,
    )
    runs.push(run)
  }
  const verdict = judge(runs)
  const header = {
    startedAt,
    serverVersion,
    suiteSource: suiteSource(regressDir),
    regressArgs: regressArgs(regressDir, REGRESS_DATABASE).join(' '),
  }
  const markdown = summaryMarkdown(header, runs, verdict)
  mkdirSync(opts.out, { recursive: true })
  writeFileSync(join(opts.out, 'summary.md'), markdown)
  console.log(markdown)
  say(`written to ${join(opts.out, 'summary.md')}`)
  return verdict.ok ? 0 : 1
}

async function cleanUp(): Promise<void> {
  killActiveRuns()
  const { cluster, gateway, workDir, keep } = live
  live.cluster = live.gateway = live.workDir = undefined
  await gateway?.stop().catch(() => {})
  await cluster?.topology.stop()
  if (!workDir) return
  if (keep) say(`kept ${workDir} and the cluster in ${cluster?.topology.baseDir}`)
  else rmSync(workDir, { recursive: true, force: true })
}

let shuttingDown = false

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true
    await cleanUp().catch((err: unknown) => say(`cleanup: ${String(err)}`))
  }
  process.exit(code)
}

main().then(
  async (code) => {
    await cleanUp()
    process.exit(code)
  },
  async (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`)
    await shutdown(1)
  },
)
