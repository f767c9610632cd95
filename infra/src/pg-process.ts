import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { findPgBin } from './pg-binaries.js'

/** OS identity that servers and tools run as; undefined means "the current user". */
export interface RunAs {
  uid: number
  gid: number
}

/** Postgres refuses to run as root, so when we are root everything runs as the `postgres` OS user. */
export function pgRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (uid === undefined || gid === undefined) {
    throw new Error(
      'Running as root but there is no "postgres" OS user to run PostgreSQL as. ' +
        'Install PostgreSQL (`apt-get install -y postgresql` creates the user) or run as a non-root user.',
    )
  }
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * Environment for Postgres tools: the caller's PG* variables (PGHOST, PGPORT, PGOPTIONS, ...) would
 * silently redirect or alter our bootstrap connections, and root's HOME is unreadable by `postgres`.
 */
export function pgEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG')) env[key] = value
  }
  return { ...env, HOME: home, LC_ALL: 'C', ...extra }
}

/** Options for {@link runPgTool}. */
export interface ToolOptions {
  cwd: string
  runAs: RunAs | undefined
  input?: string
  env?: Record<string, string>
}

/** Keeps test passwords that are part of conninfo strings out of error messages. */
const redact = (s: string): string => s.replace(/password=\S+/g, 'password=***')

/** Runs a Postgres client tool to completion; resolves with stdout, rejects with stderr on failure. */
export function runPgTool(name: string, args: string[], opts: ToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(findPgBin(name), args, {
      cwd: opts.cwd,
      env: pgEnv(opts.cwd, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...opts.runAs,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout)
      const how = signal ? `signal ${signal}` : `exit code ${code}`
      reject(
        new Error(redact(`${name} ${args.join(' ')} failed (${how}): ${stderr.trim() || stdout.trim()}`)),
      )
    })
    child.stdin.on('error', () => {}) // the tool may exit before reading its input; 'close' reports why
    child.stdin.end(opts.input ?? '')
  })
}

interface ProcStat {
  state: string
  ppid: number
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parens, so split after the last ')'. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state = '', ppid = ''] = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
    return { state, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

/**
 * True when the process exists and is not a zombie. Zombies matter: in containers whose PID 1 never
 * reaps orphans, killed postgres processes linger as zombies that `kill(pid, 0)` still reports alive.
 */
export function isAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = procStat(pid)
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X'
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Live (non-zombie) children of a process. Every postgres child calls setsid(), so process groups
 * cannot be used to find a server's backends; the parent link can (until the postmaster dies).
 */
export function childPids(ppid: number): number[] {
  if (process.platform !== 'linux') return []
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => procStat(pid)?.ppid === ppid && isAlive(pid))
}

/** Sends a signal, ignoring "no such process" (it may have exited in the meantime). */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** Blocking sleep, for the process 'exit' handler where no further event-loop turns happen. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Promise-based sleep for polling loops. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves true when `promise` settles first, false after `ms`; the timer never holds the process open. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Blocks until none of `pids` is alive; after `ms`, SIGKILLs them and their children. */
export function waitGoneSync(pids: number[], ms = 5_000): void {
  const deadline = Date.now() + ms
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) {
      for (const pid of pids) for (const victim of [...childPids(pid), pid]) signal(victim, 'SIGKILL')
      return
    }
    sleepSync(10)
  }
}
