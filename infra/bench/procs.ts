/**
 * Child processes of the benchmark (pgbench, PgBouncer, Skiff): spawning, readiness, CPU accounting
 * and cleanup. Every child is registered so nothing outlives the benchmark, even on a crash.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { openSync, readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'

const live = new Set<ChildProcess>()

// 'exit' runs on normal exit, process.exit() and uncaught errors; only synchronous work is possible.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** A long-running child (a proxy) whose output goes to a log file. */
export interface Daemon {
  child: ChildProcess
  logFile: string
  /** PID while the process runs, undefined once it has exited. */
  pid(): number | undefined
  /** "exit code N" / "signal S" once exited, else undefined. */
  exitReason(): string | undefined
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>
}

/** Options for {@link spawnDaemon}. */
export interface DaemonOptions {
  logFile: string
  env?: NodeJS.ProcessEnv
  /** Run as another OS user (PgBouncer refuses root). */
  uid?: number
  gid?: number
}

/** Spawns `cmd args` with stdout+stderr appended to `opts.logFile`, tracked for cleanup. */
export function spawnDaemon(cmd: string, args: string[], opts: DaemonOptions): Daemon {
  const out = openSync(opts.logFile, 'a')
  const child = spawn(cmd, args, {
    stdio: ['ignore', out, out],
    env: opts.env ?? process.env,
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid }),
  })
  track(child)
  let reason: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      reason = sig ? `signal ${sig}` : `exit code ${code}`
      resolve()
    })
    child.once('error', (err) => {
      reason = err.message
      resolve()
    })
  })
  return {
    child,
    logFile: opts.logFile,
    pid: () => (reason === undefined ? child.pid : undefined),
    exitReason: () => reason,
    stop: (graceMs = 5_000) => stopChild(child, exited, () => reason !== undefined, graceMs),
  }
}

/** Registers a child for kill-on-exit and forgets it once it has exited. */
export function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  child.once('error', () => live.delete(child))
}

async function stopChild(child: ChildProcess, exited: Promise<void>, done: () => boolean, graceMs: number) {
  if (done()) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** SIGKILLs every tracked child and waits (bounded) for them to go; for signal handlers. */
export async function killAll(): Promise<void> {
  const waits = [...live].map((child) => new Promise((resolve) => child.once('exit', resolve)))
  for (const child of live) child.kill('SIGKILL')
  await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, 3_000))])
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(1_000)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
  })
}

/**
 * Resolves once 127.0.0.1:`port` accepts TCP connections.
 * @throws when the daemon exits first or `timeoutMs` passes (with the tail of its log).
 */
export async function waitForPort(daemon: Daemon, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (daemon.exitReason() !== undefined) {
      throw new Error(`exited (${daemon.exitReason()}) before listening:\n${logTail(daemon.logFile)}`)
    }
    if (await canConnect(port)) return
    await sleep(100)
  }
  throw new Error(`not listening on port ${port} after ${timeoutMs} ms:\n${logTail(daemon.logFile)}`)
}

/** Last `lines` lines of a log file, indented, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines)
    return text.map((l) => `    ${l}`).join('\n')
  } catch {
    return '    (no log)'
  }
}

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/**
 * utime + stime of a process (all its threads) in microseconds, or undefined if it is gone.
 * The command name may hold spaces and parens, so fields are counted after the last ')'.
 */
export function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
    // fields[0] is stat field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK
  } catch {
    return undefined
  }
}

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state), [1] field 4 (ppid). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/**
 * CPU of a process and all its children, in microseconds: its own utime + stime, that of its
 * waited-for children (cutime + cstime), and that of its live children. For a postmaster that is its
 * backends and background workers. Undefined if the process is gone.
 */
export function treeCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  const own = statFields(pid)
  if (own === undefined) return undefined
  // fields 14-17: utime, stime, cutime, cstime
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = statFields(entry)
    if (fields !== undefined && Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12])
  }
  return (ticks * 1e6) / CLK_TCK
}
