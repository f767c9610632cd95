/** What the process hooks need from a live topology. */
export interface ExitCleanup {
  /** Orderly shutdown, used on SIGINT/SIGTERM. */
  stop(): Promise<void>
  /** Synchronous last resort, used on 'exit' where no further async work can run. */
  stopSync(): void
}

const live = new Set<ExitCleanup>()
let installed = false

/**
 * Stops `cleanup` when the process exits or gets SIGINT/SIGTERM. The handlers are installed once per
 * process, however many topologies start.
 * @returns a function that unregisters it (call once it has stopped normally).
 */
export function cleanupOnExit(cleanup: ExitCleanup): () => void {
  install()
  live.add(cleanup)
  return () => live.delete(cleanup)
}

function install(): void {
  if (installed) return
  installed = true
  process.on('exit', () => {
    for (const cleanup of live) cleanup.stopSync()
  })
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

async function onSignal(sig: NodeJS.Signals): Promise<void> {
  await Promise.allSettled([...live].map((cleanup) => cleanup.stop()))
  // Another listener (e.g. the CLI) owns the exit; otherwise restore the default "die by signal".
  if (process.listenerCount(sig) === 1) {
    process.removeListener(sig, onSignal)
    process.kill(process.pid, sig)
  }
}
