import { spawnSync } from 'node:child_process'
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { isAlive, type RunAs, signal, waitGoneSync } from './pg-process.js'
import { readPostmasterPid, readText } from './server-files.js'

/** Marks a directory as ours, so a re-used `--dir` may be wiped but a random one never is. */
const MARKER = '.skiff-topology'

/** sun_path holds 108 bytes; Postgres appends "/.s.PGSQL.NNNNN.lock" to the socket dir. */
const MAX_SOCKET_DIR_BYTES = 107 - '/.s.PGSQL.65535.lock'.length

/**
 * Creates (or reclaims) the topology directory and hands it to the server's OS user.
 * @returns its absolute path (servers run with a different cwd).
 */
export function prepareBaseDir(dir: string | undefined, runAs: RunAs | undefined): string {
  const baseDir = dir === undefined ? mkdtempSync(join(tmpdir(), 'skiff-topology-')) : resolve(dir)
  if (Buffer.byteLength(baseDir) > MAX_SOCKET_DIR_BYTES) {
    throw new Error(`baseDir ${baseDir} is too long for unix sockets (max ${MAX_SOCKET_DIR_BYTES} bytes)`)
  }
  if (dir !== undefined) claimDir(baseDir)
  writeFileSync(join(baseDir, MARKER), `created by @skiff/infra (pid ${process.pid})\n`)
  if (runAs) {
    chownSync(baseDir, runAs.uid, runAs.gid)
    assertUsableBy(baseDir, runAs)
  }
  return baseDir
}

/** Accepts a missing/empty dir or one left behind by an earlier topology (stopping its servers). */
function claimDir(baseDir: string): void {
  mkdirSync(baseDir, { recursive: true, mode: 0o700 })
  const entries = readdirSync(baseDir)
  if (entries.length === 0) return
  if (!entries.includes(MARKER)) {
    throw new Error(`${baseDir} is not empty and was not created by a Skiff topology; refusing to use it`)
  }
  stopStaleServers(entries.map((e) => join(baseDir, e)))
  for (const entry of entries) rmSync(join(baseDir, entry), { recursive: true, force: true })
}

/**
 * A crashed CLI can leave servers running in the dir. Only postmasters whose command line names
 * that exact data dir are signalled, so a recycled PID can never hit someone else's process.
 */
function stopStaleServers(dataDirs: string[]): void {
  const pids: number[] = []
  for (const dataDir of dataDirs) {
    const pid = readPostmasterPid(dataDir)?.pid
    if (pid === undefined || !isAlive(pid)) continue
    const cmdline = readText(`/proc/${pid}/cmdline`).split('\0')
    if (!cmdline.includes(dataDir)) continue
    signal(pid, 'SIGQUIT')
    pids.push(pid)
  }
  waitGoneSync(pids)
}

/** Fails early and clearly when a parent dir (e.g. /root) is not traversable by `postgres`. */
function assertUsableBy(baseDir: string, runAs: RunAs): void {
  const probe = spawnSync('test', ['-w', baseDir, '-a', '-x', baseDir], { ...runAs, cwd: '/' })
  if (probe.status !== 0) {
    throw new Error(
      `${baseDir} is not writable by the postgres OS user (uid ${runAs.uid}); ` +
        'choose a baseDir whose parent directories are world-traversable, e.g. under /tmp',
    )
  }
}

/** Removes the topology directory (best effort: it is only test data). */
export function removeBaseDir(baseDir: string): void {
  rmSync(baseDir, { recursive: true, force: true, maxRetries: 3 })
}
