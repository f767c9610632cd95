/**
 * Waiting in in-memory tests without sleeping: every fake (pipe, server, client transport, pool probe)
 * calls {@link notifyChange} when something happens, and {@link until} re-checks its condition after
 * each such change, failing the test if the condition does not hold in time.
 * @module
 */

type Check = () => void

const checks = new Set<Check>()
let scheduled = false

/**
 * Something a test may wait for happened. The conditions are checked on the next turn of the event
 * loop, not now: the gateway code that reacts to the same event (a server reply, a client write) must
 * finish first, so a condition never sees a half-updated pool or session.
 */
export function notifyChange(): void {
  if (scheduled || checks.size === 0) return
  scheduled = true
  setImmediate(() => {
    scheduled = false
    for (const check of [...checks]) check()
  })
}

/**
 * Resolves once `predicate` holds; rejects naming `what` after `ms` milliseconds. `predicate` is
 * checked now and after every {@link notifyChange}.
 * @example
 * await until(() => fake.queries().includes('ROLLBACK'), 'the ROLLBACK at check-in')
 */
export function until(predicate: () => boolean, what: string, ms = 2000): Promise<void> {
  if (predicate()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearTimeout(timer)
      checks.delete(check)
      if (error === undefined) resolve()
      else reject(error)
    }
    const check = () => {
      try {
        if (predicate()) finish()
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)))
      }
    }
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    checks.add(check)
  })
}
