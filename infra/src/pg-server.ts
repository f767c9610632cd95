import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, fchownSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { findPgBin } from './pg-binaries.js'
import { SERVER_LOG, SKIFF_CONF, serverConf, writeOwned } from './pg-config.js'
import { childPids, isAlive, pgEnv, type RunAs, runPgTool, signal, sleep, withTimeout } from './pg-process.js'
import { fileSize, isReadyPidFile, lastLines, readText, startError } from './server-files.js'
import { SUPERUSER } from './users.js'

/** What every server of one topology shares. */
export interface ServerContext {
  baseDir: string
  runAs: RunAs | undefined
  log: (line: string) => void
  /** Set once the topology is stopping: a start still in flight must not spawn a server then. */
  closed: boolean
  /** Extra settings for skiff.conf (TopologyOptions.settings). */
  settings?: Record<string, string | number>
  /** Extra settings for the skiff.conf of replicas, after `settings` (TopologyOptions.replicaSettings). */
  replicaSettings?: Record<string, string | number>
}

/** Log lines that mean "someone else took the port" (worth retrying on another auto-picked port). */
const PORT_TAKEN = /could not bind|could not create any TCP\/IP sockets/

/** Lifecycle of one postmaster that we spawn directly (not via pg_ctl) so we own and reap it. */
export class PgInstance {
  private child: ChildProcess | undefined
  private spawnError: Error | undefined
  private exited: Promise<void> = Promise.resolve()

  /** `portFixed` false means the port was auto-picked and may be replaced if the bind fails. */
  constructor(
    readonly ctx: ServerContext,
    readonly name: string,
    /** Changes once, from replica to primary, when {@link promote} succeeds. */
    public role: 'primary' | 'replica',
    public port: number,
    private portFixed: boolean,
  ) {}

  get dataDir(): string {
    return join(this.ctx.baseDir, this.name)
  }

  get logFile(): string {
    return join(this.dataDir, SERVER_LOG)
  }

  /** Postmaster PID while it runs (a zombie counts as stopped). */
  pid(): number | undefined {
    const child = this.child
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return undefined
    return isAlive(child.pid) ? child.pid : undefined
  }

  /** Starts the server and waits until it accepts queries in the expected recovery state. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.ctx.closed) throw new Error(`${this.name}: topology in ${this.ctx.baseDir} was stopped`)
      const logOffset = fileSize(this.logFile)
      try {
        writeOwned(join(this.dataDir, SKIFF_CONF), this.conf(), this.ctx.runAs)
        await this.waitReady(this.spawnPostmaster())
        this.portFixed = true // clients now know this port; restarts must keep it
        return
      } catch (err) {
        if (this.portFixed || attempt >= 3 || !PORT_TAKEN.test(readText(this.logFile, logOffset))) throw err
        const taken = this.port
        this.port = await freePort()
        this.ctx.log(`${this.name}: port ${taken} was taken, retrying on ${this.port}`)
      }
    }
  }

  private conf(): string {
    const replica = this.role === 'replica' ? this.ctx.replicaSettings : undefined
    return serverConf(this.port, this.ctx.baseDir, { ...this.ctx.settings, ...replica })
  }

  /**
   * The signals of `pg_ctl stop -m fast|immediate` (SIGINT, SIGQUIT), sent by us since we are the
   * postmaster's parent; fast escalates to immediate after 20 s, immediate to SIGKILL after 5 s.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const pid = this.pid()
    if (pid === undefined) return
    // The postmaster only exits after all its children, so waiting for it alone is enough.
    if (mode === 'fast') {
      signal(pid, 'SIGINT')
      if (await this.waitExit([pid], 20_000)) return
    }
    signal(pid, 'SIGQUIT')
    if (await this.waitExit([pid], 5_000)) return
    await this.kill()
  }

  /** kill -9 the postmaster and all its children at once, like a power cut, and wait until gone. */
  async kill(): Promise<void> {
    const pid = this.pid()
    if (pid === undefined) return
    // Frozen, the postmaster cannot react to its children dying (crash restart, forking anew).
    signal(pid, 'SIGSTOP')
    const victims = [pid, ...childPids(pid)]
    for (const victim of victims) signal(victim, 'SIGKILL')
    if (!(await this.waitExit(victims, 10_000))) throw new Error(`${this.name}: processes survived SIGKILL`)
  }

  /**
   * `pg_ctl promote -w` (it signals the postmaster, which ends recovery), then waits until the server
   * says `pg_is_in_recovery()` is false; the role is `primary` from then on.
   */
  async promote(timeoutMs = 60_000): Promise<void> {
    if (this.role !== 'replica') throw new Error(`${this.name}: only a replica can be promoted`)
    if (this.pid() === undefined) throw new Error(`${this.name}: cannot promote a stopped server`)
    const args = ['promote', '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-D', this.dataDir]
    await runPgTool('pg_ctl', args, { cwd: this.ctx.baseDir, runAs: this.ctx.runAs })
    this.role = 'primary'
    const deadline = Date.now() + timeoutMs
    while (!(await this.inExpectedRecoveryState())) {
      if (Date.now() > deadline) {
        const tail = lastLines(this.logFile, 20)
        throw new Error(`${this.name}: still in recovery ${timeoutMs / 1000}s after promote\n${tail}`)
      }
      await sleep(20)
    }
  }

  /** Immediate shutdown request, for the synchronous exit path (the caller waits with waitGoneSync). */
  quitNow(): number | undefined {
    const pid = this.pid()
    if (pid !== undefined) signal(pid, 'SIGQUIT')
    return pid
  }

  /** Runs SQL as the superuser over the unix socket (trust), stopping at the first error. */
  psql(sql: string, database = 'postgres'): Promise<string> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-f', '-', ...this.socketArgs(database)]
    return runPgTool('psql', args, { cwd: this.ctx.baseDir, runAs: this.ctx.runAs, input: sql })
  }

  /** libpq connection flags for the superuser over the unix socket. */
  socketArgs(database: string): string[] {
    return ['-h', this.ctx.baseDir, '-p', String(this.port), '-U', SUPERUSER, '-d', database]
  }

  private spawnPostmaster(): ChildProcess {
    const fd = openSync(this.logFile, 'a', 0o600)
    let child: ChildProcess
    try {
      if (this.ctx.runAs) fchownSync(fd, this.ctx.runAs.uid, this.ctx.runAs.gid)
      // detached => setsid: a terminal's Ctrl-C must not reach the servers before our orderly
      // shutdown does. Spawning postgres ourselves (not via pg_ctl) makes us its parent, so it
      // is reaped even where PID 1 does not reap orphans.
      child = spawn(findPgBin('postgres'), ['-D', this.dataDir], {
        cwd: this.dataDir,
        env: pgEnv(this.dataDir),
        detached: true,
        stdio: ['ignore', fd, fd],
        ...this.ctx.runAs,
      })
    } finally {
      closeSync(fd)
    }
    child.unref()
    this.child = child
    this.spawnError = undefined
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve())
      child.once('error', (err) => {
        this.spawnError = err
        resolve()
      })
    })
    return child
  }

  private async waitReady(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        await this.exited
        const how = this.spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`
        throw startError(this, `postgres exited (${how})`)
      }
      if (isReadyPidFile(this.dataDir, child.pid) && (await this.inExpectedRecoveryState())) return
      await sleep(20)
    }
    throw startError(this, `not ready after ${timeoutMs / 1000}s`)
  }

  private async inExpectedRecoveryState(): Promise<boolean> {
    const args = ['-X', '-A', '-t', '-c', 'SELECT pg_is_in_recovery()', ...this.socketArgs('postgres')]
    try {
      const out = await runPgTool('psql', args, { cwd: this.ctx.baseDir, runAs: this.ctx.runAs })
      return out.trim() === (this.role === 'replica' ? 't' : 'f')
    } catch {
      return false
    }
  }

  /** Waits for our postmaster's exit (so it is reaped) and for every given PID to be gone. */
  private async waitExit(pids: number[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    if (!(await withTimeout(this.exited, timeoutMs))) return false
    while (pids.some(isAlive)) {
      if (Date.now() > deadline) return false
      await sleep(20)
    }
    return true
  }
}
