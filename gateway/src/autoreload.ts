/**
 * PgCat's `autoreload`: every `autoreload` ms the config file is read, and when its text changed since
 * the last look the gateway reloads it (as SIGHUP would). The interval is read again after each look,
 * so a reload can change or end it. A file that fails to load is logged once per change, as any reload.
 * @module
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Gateway } from './gateway.js'

/** How often the interval is read again while autoreload is off. */
const IDLE_MS = 1000

/** Starts watching `file` for `gateway`; returns a stop function. */
export function startAutoreload(gateway: Gateway, file: string): () => void {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let last: string | undefined
  const look = async () => {
    const digest = await fileDigest(file)
    if (last !== undefined && digest !== undefined && digest !== last) await gateway.reload()
    if (digest !== undefined) last = digest
    schedule()
  }
  const schedule = () => {
    if (stopped) return
    const interval = gateway.config.general.autoreload
    // Off: look again at the setting only, since a RELOAD or SIGHUP may turn it on.
    timer = setTimeout(() => (interval === undefined ? schedule() : void look()), interval ?? IDLE_MS)
    timer.unref()
  }
  void fileDigest(file).then((digest) => {
    last = digest
    schedule()
  })
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/** The file's SHA-256, or undefined while it cannot be read (an editor replacing it). */
async function fileDigest(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
  } catch {
    return undefined
  }
}
