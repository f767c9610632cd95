/**
 * The process's soft limit on open file descriptors (RLIMIT_NOFILE), which Node has no API for; read
 * from /proc on Linux.
 * @module
 */
import { readFileSync } from 'node:fs'

/** The soft open-file limit, or undefined when unknown or unlimited. */
export function fileDescriptorLimit(procLimits = '/proc/self/limits'): number | undefined {
  let text: string
  try {
    text = readFileSync(procLimits, 'utf8')
  } catch {
    return undefined
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'))
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
  const n = Number(soft)
  return Number.isInteger(n) && n > 0 ? n : undefined
}
