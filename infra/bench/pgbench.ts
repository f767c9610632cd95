/** Runs pgbench once and turns its report into numbers. */
import { spawn } from 'node:child_process'
import type { TopologyUser } from '../src/index.js'
import { findPgBin } from '../src/index.js'
import { track } from './procs.js'
import type { Workload } from './workloads.js'

/** One pgbench invocation. */
export interface PgbenchRun {
  port: number
  user: TopologyUser
  database: string
  workload: Workload
  clients: number
  /** Seconds (`-T`). */
  duration: number
}

/** What one run produced; `error` is set (and the numbers may be missing) when it failed. */
export interface PgbenchResult {
  tps?: number
  /** "number of transactions actually processed". */
  txns?: number
  /** "number of failed transactions" (pgbench 15 and later; clients that aborted are not in it). */
  failed?: number
  /**
   * Clients pgbench stopped on an error it does not retry (e.g. a `\gset` that got no row): their
   * transaction is in neither count. Set only when there were any.
   */
  abortedClients?: number
  error?: string
}

/** Time allowed beyond `-T`: connection setup, and draining a slow pooler's queue. */
const GRACE_MS = 60_000

/** pgbench arguments; `-j` never exceeds `-c` (pgbench rejects more threads than clients). */
export function pgbenchArgs(run: PgbenchRun): string[] {
  const { port, user, database, workload, clients, duration } = run
  const threads = Math.min(2, clients)
  const load = ['-n', '-T', `${duration}`, '-c', `${clients}`, '-j', `${threads}`, ...workload.args]
  return [...load, '-h', '127.0.0.1', '-p', `${port}`, '-U', user.username, database]
}

/** Caller's PG* variables (PGHOST, PGOPTIONS, ...) would silently change what is measured. */
function cleanEnv(password: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PG')))
  return { ...env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' }
}

/** Runs pgbench to completion (killed after `-T` + {@link GRACE_MS}); never rejects. */
export function runPgbench(run: PgbenchRun): Promise<PgbenchResult> {
  return new Promise((resolve) => {
    const child = spawn(findPgBin('pgbench'), pgbenchArgs(run), {
      env: cleanEnv(run.user.password),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    track(child)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    let timedOut = false
    const timer = setTimeout(
      () => {
        timedOut = true
        child.kill('SIGKILL')
      },
      run.duration * 1000 + GRACE_MS,
    )
    child.once('error', (err) => resolve({ error: `cannot run pgbench: ${err.message}` }))
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const result = parsePgbench(out)
      if (timedOut) result.error = `timed out after ${run.duration}s + ${GRACE_MS / 1000}s`
      else if (code !== 0)
        result.error = firstError(out) ?? `pgbench ${signal ? `killed by ${signal}` : `exit code ${code}`}`
      // pgbench 15 only logs a failed PREPARE and carries on, so `-M prepared` through a pooler
      // that loses statements can exit 0 once every server connection has them. A client that
      // saw errors is a failed run; its tps stays in the raw table.
      else if (firstError(out))
        result.error = `exit 0 but ${errorCount(out)} error line(s): ${firstError(out)}`
      resolve(result)
    })
  })
}

/** Reads tps ("tps = X (without initial connection time)") and the processed and failed transaction counts. */
export function parsePgbench(output: string): PgbenchResult {
  const tps = /^tps = ([\d.]+)/m.exec(output)?.[1]
  const txns = /^number of transactions actually processed: (\d+)/m.exec(output)?.[1]
  const failed = /^number of failed transactions: (\d+)/m.exec(output)?.[1]
  const result: PgbenchResult = {}
  if (tps !== undefined) result.tps = Number(tps)
  if (txns !== undefined) result.txns = Number(txns)
  if (failed !== undefined) result.failed = Number(failed)
  const aborted = abortedClients(output)
  if (aborted > 0) result.abortedClients = aborted
  if (result.txns === 0) result.error = 'no transaction completed'
  return result
}

const ERROR_LINE = /error|fatal|abort/i

/** pgbench starts every per-client error with "client <id> "; each such client stopped there. */
const CLIENT_ERROR = /^(?:pgbench: (?:error: )?)?client (\d+) /gm

function abortedClients(output: string): number {
  return new Set([...output.matchAll(CLIENT_ERROR)].map((m) => m[1])).size
}

function errorCount(output: string): number {
  return output.split('\n').filter((l) => ERROR_LINE.test(l)).length
}

/** The first line pgbench flagged as an error, trimmed for a table cell. */
function firstError(output: string): string | undefined {
  const line = output.split('\n').find((l) => ERROR_LINE.test(l))
  return line
    ?.replace(/^pgbench: (error: )?/, '')
    .trim()
    .slice(0, 160)
}
