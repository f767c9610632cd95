/**
 * What a connection needs when its client gives it back, before anyone else may use it: the commands
 * that clear what the client left, and, for a client that left while the server still owed it replies
 * (a long result, a query still running, a COPY), a sink that reads the rest into nothing (PgDog's
 * connection recovery: the connection goes back to the pool instead of being closed).
 * @module
 */
import { Cleanup, resetCommandsFor } from './cleanup-state.js'
import type { ReplySink } from './reply-route.js'
import type { ServerConnection } from './server-conn.js'

/**
 * How a client gives a connection back: at the end of a transaction (transaction mode), at the end of
 * a transaction-mode client pinned by session state, or at the end of a session.
 */
export type CheckinKind = 'transaction' | 'pinned' | 'session'

const DISCARD_ALL: readonly string[] = ['DISCARD ALL']
const NOTHING: readonly string[] = []

/**
 * The commands that clear what the client left: in transaction mode the state its traffic showed
 * (its settings stay: the next client's are compared with them, see session/client-settings.ts); for
 * a client pinned by session state everything (DISCARD ALL); at the end of a session
 * server_reset_query. Forgets the settings those commands reset.
 */
export function resetCommandsAtCheckin(
  server: ServerConnection,
  ended: CheckinKind,
  serverResetQuery: string,
): readonly string[] {
  if (ended === 'transaction') {
    if (server.cleanup & Cleanup.Set) server.settings = new Map()
    return resetCommandsFor(server.cleanup)
  }
  server.settings = new Map()
  if (ended === 'pinned') return DISCARD_ALL
  return serverResetQuery.trim() === '' ? NOTHING : [serverResetQuery]
}

/**
 * The sink an abandoned connection's replies go to: it swallows them and calls `recheck` once, when
 * the server has answered everything (its last ReadyForQuery, or the end of a batch without a Sync),
 * so the check-in can go on. `timer` (the recovery deadline) is cleared if the connection is lost.
 */
export function drainSink(recheck: () => void, timer: NodeJS.Timeout): ReplySink {
  let again = false
  const once = () => {
    if (again) return
    again = true
    queueMicrotask(recheck)
  }
  return {
    internal: true,
    onServerData: () => {},
    onReadyForQuery: (_status, done) => (done ? once() : undefined),
    onBatchIdle: once,
    onParameterStatus: () => {},
    onServerLost: () => clearTimeout(timer),
  }
}
