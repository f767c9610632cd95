import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** The fields of a data dir's postmaster.pid that we use (layout: src/include/utils/pidfile.h). */
export interface PostmasterPidFile {
  pid: number
  /** "starting", "stopping", "ready" or "standby" (padded with spaces on disk). */
  status: string
}

/**
 * Reads postmaster.pid; undefined when absent or unreadable. Status turns "ready"/"standby" once the
 * server accepts connections, which makes it a cheap readiness signal to poll.
 */
export function readPostmasterPid(dataDir: string): PostmasterPidFile | undefined {
  const lines = readText(join(dataDir, 'postmaster.pid')).split('\n')
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return { pid, status: (lines[7] ?? '').trim() }
}

/** File contents, or '' when it cannot be read (missing files are normal during startup). */
export function readText(path: string, fromByte = 0): string {
  try {
    return readFileSync(path).subarray(fromByte).toString('utf8')
  } catch {
    return ''
  }
}

/** Current size, so a later read can pick up only what one start attempt logged. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** Last `count` lines of a text file. */
export function lastLines(path: string, count: number): string {
  return readText(path).trimEnd().split('\n').slice(-count).join('\n')
}

/** True once postmaster.pid of this exact PID says "ready"/"standby" (accepting connections). */
export function isReadyPidFile(dataDir: string, pid: number): boolean {
  const pidFile = readPostmasterPid(dataDir)
  // A kill -9'd server leaves its old pid file behind (status "ready"), hence the PID check.
  return pidFile?.pid === pid && (pidFile.status === 'ready' || pidFile.status === 'standby')
}

/** What a failed start reports: which server, why, and the end of its log. */
export function startError(
  server: { name: string; port: number; dataDir: string; logFile: string },
  reason: string,
): Error {
  const tail = lastLines(server.logFile, 20) || '(empty)'
  return new Error(
    `${server.name} (port ${server.port}, ${server.dataDir}) failed to start: ${reason}\n` +
      `--- last 20 lines of ${server.logFile} ---\n${tail}`,
  )
}
