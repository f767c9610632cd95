/**
 * One pg_regress run: spawned as the server's OS user (the server writes COPY and large-object files
 * into the output dir), bounded in time as a whole and per test, its outputs copied out afterwards.
 * @module
 */
import { spawn } from 'node:child_process'
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { findPgBin } from '../src/index.js'
import { pgEnv, type RunAs, signal } from '../src/pg-process.js'
import {
  connectionProblem,
  failedTests,
  groupProblems,
  type Mode,
  type ModeRun,
  parseRegressOutput,
  type TestResult,
} from './regress-output.js'

/** The files a mode leaves in its output dir; the last two only when a test failed. */
const OUTPUTS = ['pg_regress.log', 'regression.diffs', 'regression.out']

/** Where and how one mode's pg_regress connects and runs. */
export interface RunSpec {
  mode: Mode
  /** The built src/test/regress: pg_regress, regress.so, sql/, expected/, data/. */
  regressDir: string
  host: string
  port: number
  user: string
  password: string
  database: string
  /** pg_regress's --outputdir (created, owned by runAs). */
  workDir: string
  /** Where pg_regress.log, regression.diffs and regression.out are copied. */
  outDir: string
  runAs: RunAs | undefined
  runTimeoutMs: number
  testTimeoutMs: number
  log: (line: string) => void
}

/**
 * The options `make installcheck-parallel` passes (its REGRESS_OPTS), plus --use-existing: the
 * database is made by the runner, as pg_regress would.
 */
export function regressArgs(regressDir: string, database: string): string[] {
  return [
    `--inputdir=${regressDir}`,
    `--bindir=${dirname(findPgBin('psql'))}`,
    `--dlpath=${regressDir}`,
    '--max-concurrent-tests=20',
    `--schedule=${join(regressDir, 'parallel_schedule')}`,
    '--use-existing',
    `--dbname=${database}`,
  ]
}

/** Process groups of the pg_regress runs in flight, for {@link killActiveRuns}. */
const active = new Set<number>()

/** SIGKILLs every pg_regress still running, with the shells and psqls it started (for shutdown). */
export function killActiveRuns(): void {
  for (const pgid of active) signal(-pgid, 'SIGKILL')
}

/** Runs the whole parallel schedule once; never throws for what pg_regress does, only reports it. */
export async function runPgRegress(spec: RunSpec): Promise<ModeRun> {
  mkdirSync(spec.workDir, { recursive: true })
  if (spec.runAs) chownSync(spec.workDir, spec.runAs.uid, spec.runAs.gid)
  mkdirSync(spec.outDir, { recursive: true })
  for (const file of OUTPUTS) rmSync(join(spec.outDir, file), { force: true })
  const args = [
    ...regressArgs(spec.regressDir, spec.database),
    `--host=${spec.host}`,
    `--port=${spec.port}`,
    `--user=${spec.user}`,
    `--outputdir=${spec.workDir}`,
  ]
  const started = Date.now()
  const outcome = await spawnBounded(spec, args)
  const seconds = (Date.now() - started) / 1000
  writeFileSync(join(spec.outDir, 'pg_regress.log'), outcome.output)
  for (const file of OUTPUTS.filter((f) => f !== 'pg_regress.log')) {
    const from = join(spec.workDir, file)
    if (existsSync(from)) copyFileSync(from, join(spec.outDir, file))
  }
  const results = parseRegressOutput(outcome.output)
  let error = outcome.error
  if (!error && results.length === 0)
    error = `pg_regress printed no test line (exit code ${outcome.exitCode})`
  const run: ModeRun = {
    mode: spec.mode,
    results,
    seconds,
    exitCode: outcome.exitCode,
    timedOutTests: outcome.timedOutTests,
    connectionProblems: groupProblems(readProblems(spec.workDir, results)),
    dir: spec.outDir,
  }
  return error ? { ...run, error } : run
}

/** The connection problem of each failed test, from its results file. */
function readProblems(workDir: string, results: TestResult[]): Map<string, string> {
  const problems = new Map<string, string>()
  for (const test of failedTests(results)) {
    let text: string
    try {
      text = readFileSync(join(workDir, 'results', `${test}.out`), 'utf8')
    } catch {
      continue
    }
    const problem = connectionProblem(text)
    if (problem) problems.set(test, problem)
  }
  return problems
}

interface Outcome {
  output: string
  exitCode: number | undefined
  error?: string
  timedOutTests: string[]
}

/**
 * pg_regress in its own process group, so a timeout can kill it with the shells and psqls it started.
 * Its environment is libpq's defaults but for the password: PG* variables of ours must not steer it.
 */
function spawnBounded(spec: RunSpec, args: string[]): Promise<Outcome> {
  const env = pgEnv(spec.workDir, { PGPASSWORD: spec.password, LANG: 'C.UTF-8' })
  delete env.LC_ALL // pg_regress unsets it anyway; LANG picks psql's client encoding (UTF8)
  const exe = join(spec.regressDir, 'pg_regress')
  return new Promise((resolve) => {
    const child = spawn(exe, args, {
      cwd: spec.workDir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...spec.runAs,
    })
    const pgid = child.pid
    if (pgid !== undefined) active.add(pgid)
    let output = ''
    const collect = (d: Buffer) => (output += d.toString())
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timedOutTests: string[] = []
    const watchdog = new PsqlWatchdog(spec.testTimeoutMs, (test) => {
      timedOutTests.push(test)
      spec.log(
        `${spec.mode}: test ${test} still running after ${spec.testTimeoutMs / 1000} s; killed its psql`,
      )
    })
    const poll = setInterval(() => child.pid !== undefined && watchdog.check(child.pid), 1000)
    let error: string | undefined
    const killGroup = (sig: NodeJS.Signals) => child.pid !== undefined && signal(-child.pid, sig)
    const deadline = setTimeout(() => {
      error = `killed after --run-timeout ${spec.runTimeoutMs / 1000} s`
      killGroup('SIGTERM')
      setTimeout(() => killGroup('SIGKILL'), 5000).unref()
    }, spec.runTimeoutMs)
    const finish = (exitCode: number | undefined) => {
      if (pgid !== undefined) active.delete(pgid)
      clearInterval(poll)
      clearTimeout(deadline)
      resolve({ output, exitCode, timedOutTests, ...(error ? { error } : {}) })
    }
    child.once('error', (err) => {
      error = `could not start ${exe}: ${err.message}`
      finish(undefined)
    })
    child.once('close', (code) => finish(code ?? undefined))
  })
}

interface ProcInfo {
  ppid: number
  comm: string
}

/** Every process's parent, name and arguments, in one pass over /proc. */
function processTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      table.set(Number(entry), { ppid, comm })
    } catch {
      // gone in the meantime
    }
  }
  return table
}

/**
 * Kills a test's psql that runs longer than the limit, so one hung test (say, waiting for a lock that
 * a pooled connection keeps) fails alone instead of holding the whole run until --run-timeout.
 */
class PsqlWatchdog {
  private readonly firstSeen = new Map<number, number>()

  constructor(
    private readonly limitMs: number,
    private readonly onKill: (test: string) => void,
  ) {}

  check(rootPid: number): void {
    const now = Date.now()
    const table = processTable()
    const live = new Set<number>()
    for (const [pid, info] of table) {
      if (info.comm !== 'psql' || !descends(table, pid, rootPid)) continue
      live.add(pid)
      const seen = this.firstSeen.get(pid) ?? now
      this.firstSeen.set(pid, seen)
      if (now - seen > this.limitMs) {
        const test = testOf(pid)
        signal(pid, 'SIGKILL')
        this.onKill(test)
        this.firstSeen.delete(pid)
        live.delete(pid)
      }
    }
    for (const pid of this.firstSeen.keys()) if (!live.has(pid)) this.firstSeen.delete(pid)
  }
}

function descends(table: Map<number, ProcInfo>, pid: number, rootPid: number): boolean {
  for (let p = table.get(pid)?.ppid, hops = 0; p !== undefined && hops < 10; p = table.get(p)?.ppid, hops++) {
    if (p === rootPid) return true
  }
  return false
}

/** pg_regress starts `psql -X -a -q -d DB < .../sql/TEST.sql > .../results/TEST.out` through sh. */
function testOf(psqlPid: number): string {
  try {
    return basename(readlinkSync(`/proc/${psqlPid}/fd/0`), '.sql')
  } catch {
    return `psql pid ${psqlPid}`
  }
}
