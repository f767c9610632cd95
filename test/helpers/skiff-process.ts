/**
 * The `skiff` command as a child process, for tests of what only the process has: signals, the
 * config file (reload), the exit code, the log on stderr.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')

/** A running `skiff` child. */
export interface SkiffProcess {
  readonly child: ChildProcess
  /** The Postgres-protocol port it listens on. */
  readonly port: number
  /** The HTTP/WebSocket port, when that listener is on. */
  readonly httpPort?: number
  readonly exited: Promise<number | null>
  /** Everything it printed so far (stdout and stderr). */
  output(): string
  /** Resolves once `pattern` appears in the output after position `from`; rejects after `ms`. */
  waitFor(pattern: RegExp, from?: number, ms?: number): Promise<RegExpExecArray>
}

/** Starts `skiff <configFile>` and waits for its listeners (the HTTP one too unless `http` is false). */
export async function startSkiffProcess(configFile: string, http = true): Promise<SkiffProcess> {
  const child = spawn('node', [SKIFF, configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const waitFor = async (pattern: RegExp, from = 0, ms = 10_000) => {
    const deadline = Date.now() + ms
    for (;;) {
      const match = pattern.exec(out.slice(from))
      if (match) return match
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`skiff never printed ${pattern}; its output:\n${out}`)
      await sleep(25)
    }
  }
  try {
    const tcp = await waitFor(/listening on [\d.]+:(\d+) \(Postgres/)
    const httpPort = http ? Number((await waitFor(/listening on [\d.]+:(\d+) \(HTTP/))[1]) : undefined
    return { child, port: Number(tcp[1]), httpPort, exited, output: () => out, waitFor }
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
}
