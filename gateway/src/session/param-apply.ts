/**
 * Brings a server connection to a client's parameter values before the client's messages run there
 * (the I/O half of param-sync.ts: it sends the SETs as the gateway's own query, pipelined ahead).
 * @module
 */
import { log } from '../log.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import { planParamSync, TRACKED_PARAMETERS } from './param-sync.js'

/**
 * Queues the SETs the client's tracked parameters need on `server` and returns the ParameterStatus
 * messages to send the client first (values it has not seen), if any. `params` is the client's map,
 * updated with the values the server reports back.
 */
export function applyClientParams(
  params: Map<string, string>,
  server: ServerConnection,
  clientId: number,
): Buffer | undefined {
  const plan = planParamSync(params, server.params)
  if (plan.sets.length === 0) return plan.notices
  const done = (error: string | undefined) => {
    if (error === undefined) return
    // A value the server refuses (say, an unknown TimeZone from the startup packet) would be retried on
    // every checkout: take the server's values instead and say so in the log.
    log.warn('could not apply a client parameter on the server; keeping the server value', {
      client: clientId,
      error,
    })
    for (const name of TRACKED_PARAMETERS) {
      const value = server.params.get(name)
      if (value !== undefined) params.set(name, value)
    }
  }
  server.sendInternal(new InternalQuery(done, (name, value) => params.set(name, value)), plan.sets)
  return plan.notices
}
