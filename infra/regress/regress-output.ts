/**
 * Reads pg_regress's progress output (PostgreSQL 15's format) and writes the comparison of the modes
 * as Markdown. Pure: strings in, strings out.
 * @module
 */

/** How pg_regress judged one test. */
export type TestStatus = 'ok' | 'failed' | 'ignored'

/** One test line of pg_regress's output. */
export interface TestResult {
  name: string
  status: TestStatus
  /** What pg_regress adds after the status, e.g. "(test process exited with exit code 2)". */
  note?: string
}

/**
 * `test name ... ok  12 ms` for a test run alone, `     name ... FAILED  12 ms` inside a parallel
 * group; a test in the schedule's `ignore:` list that fails says `failed (ignored)`.
 */
const TEST_LINE = /^(?:test\s+|\s+)(\S+)\s+\.\.\. (ok|FAILED|failed \(ignored\))\s*(.*)$/
const TIMING = /\s*\d+ ms$/

/** The test lines of pg_regress's stdout, in output order. */
export function parseRegressOutput(stdout: string): TestResult[] {
  const results: TestResult[] = []
  for (const line of stdout.split('\n')) {
    const match = TEST_LINE.exec(line)
    if (!match) continue
    const [, name = '', word = '', rest = ''] = match
    const status: TestStatus = word === 'ok' ? 'ok' : word === 'FAILED' ? 'failed' : 'ignored'
    const note = rest.replace(TIMING, '').trim()
    results.push(note ? { name, status, note } : { name, status })
  }
  return results
}

/**
 * Lines psql prints when it cannot connect or loses its connection (not the ERRORs a test expects),
 * and a FATAL sent by the server or a gateway.
 */
const CONNECTION_TROUBLE =
  /^(psql: error: .*|FATAL: .*|server closed the connection unexpectedly|connection to server was lost|no connection to the server)$/m

/**
 * The first connection problem in a test's results file, with port numbers blanked so the same
 * problem reads the same in every run; undefined when psql kept its connection.
 */
export function connectionProblem(resultsText: string): string | undefined {
  const match = CONNECTION_TROUBLE.exec(resultsText)
  return match?.[1]?.replace(/port \d+/g, 'port N').replace(/\s+/g, ' ')
}

/** One connection problem and the tests that met it. */
export interface ProblemGroup {
  problem: string
  tests: string[]
}

/** Groups tests by their connection problem, the most frequent first. */
export function groupProblems(problems: Map<string, string>): ProblemGroup[] {
  const groups = new Map<string, string[]>()
  for (const [test, problem] of problems) groups.set(problem, [...(groups.get(problem) ?? []), test])
  return [...groups]
    .map(([problem, tests]) => ({ problem, tests: tests.sort() }))
    .sort((a, b) => b.tests.length - a.tests.length)
}

/** Names of the failed tests (ignored failures left out), sorted. */
export function failedTests(results: TestResult[]): string[] {
  return results
    .filter((r) => r.status === 'failed')
    .map((r) => r.name)
    .sort()
}

/** Elements of `a` not in `b`, in `a`'s order. */
export function difference(a: string[], b: string[]): string[] {
  const other = new Set(b)
  return a.filter((x) => !other.has(x))
}

/**
 * Names of the modes, in run order. `session` runs with session_server_reuse = false (a backend per
 * session, as direct); `session-reuse` with the default (a connection reset and lent to the next
 * session, PgBouncer's session pooling), reported only.
 */
export type Mode = 'direct' | 'session' | 'session-reuse' | 'transaction'

/** One pg_regress run as the report needs it. */
export interface ModeRun {
  mode: Mode
  results: TestResult[]
  seconds: number
  /** pg_regress's exit code, or undefined when it was killed. */
  exitCode: number | undefined
  /** Set when the run did not finish normally (timeout, spawn error, no test line read). */
  error?: string
  /** Tests whose psql the runner killed after --test-timeout. */
  timedOutTests: string[]
  /** Failed tests whose psql could not connect or lost its connection, by problem. */
  connectionProblems: ProblemGroup[]
  /** Where this mode's pg_regress output, regression.diffs and regression.out were copied. */
  dir: string
}

/** The comparison the acceptance asks for. */
export interface Verdict {
  /** Session-mode failures that do not fail directly; undefined when either run is missing. */
  sessionExtra: string[] | undefined
  /** Transaction-mode failures that do not fail directly; undefined when either run is missing. */
  transactionExtra: string[] | undefined
  /** False when session mode fails a test that passes directly, or a run that counts broke down. */
  ok: boolean
  /** Why `ok` is false. */
  reasons: string[]
}

/** Compares each mode with the direct run. Transaction mode only reports; session mode decides. */
export function judge(runs: ModeRun[]): Verdict {
  const byMode = new Map(runs.map((r) => [r.mode, r]))
  const direct = byMode.get('direct')
  const extra = (mode: Mode): string[] | undefined => {
    const run = byMode.get(mode)
    if (!direct || !run || direct.error || run.error) return undefined
    return difference(failedTests(run.results), failedTests(direct.results))
  }
  const sessionExtra = extra('session')
  const reasons: string[] = []
  for (const mode of ['direct', 'session'] as const) {
    const error = byMode.get(mode)?.error
    if (error) reasons.push(`the ${mode} run did not complete: ${error}`)
  }
  if (sessionExtra && sessionExtra.length > 0) {
    reasons.push(`session mode fails ${sessionExtra.length} test(s) that pass directly`)
  }
  return { sessionExtra, transactionExtra: extra('transaction'), ok: reasons.length === 0, reasons }
}

/** What the report says about the environment. */
export interface ReportHeader {
  startedAt: Date
  /** e.g. "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)". */
  serverVersion: string
  /** e.g. "postgresql-15 15.18-0+deb12u1". */
  suiteSource: string
  /** The pg_regress options every mode shared. */
  regressArgs: string
}

const list = (names: string[]): string => (names.length === 0 ? 'none' : names.join(', '))

function modeRow(run: ModeRun): string {
  const failed = failedTests(run.results).length
  const ignored = run.results.filter((r) => r.status === 'ignored').length
  const state = run.error ?? (run.timedOutTests.length > 0 ? `psql killed in ${list(run.timedOutTests)}` : '')
  return `| ${run.mode} | ${run.results.length} | ${failed} | ${ignored} | ${run.seconds.toFixed(0)} s | ${state} |`
}

/** Problem groups of every mode that has any, a failure list cut to 10 names each. */
function problemLines(runs: ModeRun[]): string[] {
  const lines: string[] = []
  for (const run of runs) {
    for (const { problem, tests } of run.connectionProblems) {
      const shown = tests.length > 10 ? `${tests.slice(0, 10).join(', ')}, …` : tests.join(', ')
      lines.push(`- ${run.mode}, ${tests.length} test(s): \`${problem}\` (${shown})`)
    }
  }
  return lines.length > 0 ? ['## Connection problems', '', ...lines, ''] : []
}

function comparisonLines(verdict: Verdict, runs: ModeRun[]): string[] {
  const lines: string[] = []
  const direct = runs.find((r) => r.mode === 'direct')
  const extra = (mode: Mode): string[] | undefined => {
    const run = runs.find((r) => r.mode === mode)
    if (!direct || !run || direct.error || run.error) return undefined
    return difference(failedTests(run.results), failedTests(direct.results))
  }
  const extraLine = (label: string, mode: Mode, extra: string[] | undefined) => {
    if (!extra) return
    const all = failedTests(runs.find((r) => r.mode === mode)?.results ?? [])
    const names = extra.length > 0 && extra.length === all.length ? 'all of its failures above' : list(extra)
    lines.push(`- ${label} (${extra.length}): ${names}`)
  }
  extraLine('session mode failures not failing directly', 'session', verdict.sessionExtra)
  extraLine('session-reuse failures not failing directly', 'session-reuse', extra('session-reuse'))
  extraLine('transaction-mode failures not failing directly', 'transaction', verdict.transactionExtra)
  for (const run of runs) {
    if (run.mode === 'direct' || !direct || run.error || direct.error) continue
    const fixed = difference(failedTests(direct.results), failedTests(run.results))
    if (fixed.length > 0) lines.push(`- failing directly but passing in ${run.mode} mode: ${list(fixed)}`)
  }
  return lines.length > 0 ? lines : ['- nothing to compare: the direct run and another mode are needed']
}

/** The Markdown summary: one row per mode, the failures of each, and the comparison with direct. */
export function summaryMarkdown(header: ReportHeader, runs: ModeRun[], verdict: Verdict): string {
  const when = header.startedAt.toISOString().replace('T', ' ').slice(0, 16)
  return [
    `# Postgres regression suite through Skiff, ${when} UTC`,
    '',
    `Server: ${header.serverVersion}. Suite: parallel_schedule of Debian's source package ${header.suiteSource}.`,
    `pg_regress ${header.regressArgs}`,
    '',
    '| mode | tests | failed | failed (ignored) | wall time | notes |',
    '| --- | --- | --- | --- | --- | --- |',
    ...runs.map(modeRow),
    '',
    '## Failures',
    '',
    ...runs.map((r) => `- ${r.mode} (${failedTests(r.results).length}): ${list(failedTests(r.results))}`),
    '',
    ...problemLines(runs),
    '## Against the direct run',
    '',
    ...comparisonLines(verdict, runs),
    '',
    `Result: ${verdict.ok ? 'PASS' : 'FAIL'}${verdict.ok ? '' : ` (${verdict.reasons.join('; ')})`}.`,
    '',
    'Outputs (pg_regress.log, regression.diffs, regression.out) per mode:',
    ...runs.map((r) => `- ${r.mode}: ${r.dir}`),
    '',
  ].join('\n')
}
