/**
 * Keeps a client's view of reported run-time parameters true while its transactions hop between
 * server connections: a reported value that differs on the server a transaction lands on, and that the
 * client did not choose itself (client-settings.ts applies those), is sent to the client as
 * ParameterStatus, as Postgres would have done had it changed.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC (ParameterStatus)
 * @module
 */
import { serializeParameterStatus } from '../protocol/backend.js'

/**
 * Compares the client's view with a server's reported values; returns the ParameterStatus messages
 * for values the client must be told of (and records them in `view`). Names in `chosen` and in
 * `serverSettings` (lower case) are skipped: the client's own value (or the server's default, for a
 * setting another client left) is about to be set on the server.
 */
export function planReportSync(
  view: Map<string, string>,
  server: ReadonlyMap<string, string>,
  chosen: ReadonlyMap<string, string>,
  serverSettings: ReadonlyMap<string, string>,
): Buffer | undefined {
  let notices: Buffer[] | undefined
  const skip = chosen.size > 0 || serverSettings.size > 0
  for (const [name, value] of server) {
    if (view.get(name) === value) continue
    if (skip && (chosen.has(name.toLowerCase()) || serverSettings.has(name.toLowerCase()))) continue
    view.set(name, value)
    notices ??= []
    notices.push(serializeParameterStatus(name, value))
  }
  return notices === undefined ? undefined : Buffer.concat(notices)
}
