/**
 * Brings a server connection to a client's parameter values before the client's messages run there
 * (the I/O half of param-sync.ts: it sends the SETs as the gateway's own query, pipelined ahead).
 * @module
 */
import { log } from '../log.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import { planParamSync, TRACKED_PARAMETERS } from './param-sync.js'

/**
 * The gateway's SETs, also keeping the SQLSTATE of the first error: the log names that, never the
 * server's message, which quotes the refused value (a client's, and it may hold anything).
 */
class ParamQuery extends InternalQuery {
  sqlstate?: string

  override onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end && this.sqlstate === undefined; at += 1 + buf.readUInt32BE(at + 1)) {
      if (buf[at] === BackendCode.ErrorResponse)
        this.sqlstate = parseErrorFields(buf, at, at + 1 + buf.readUInt32BE(at + 1)).get('C')
    }
    super.onServerData(buf, start, end)
  }
}

/**
 * Queues the SETs the client's tracked parameters need on `server` and returns the ParameterStatus
 * messages to send the client first (values it has not seen), if any. `params` is the client's map,
 * updated with the values the server reports back; `changed` hears of every change made to it.
 */
export function applyClientParams(
  params: Map<string, string>,
  server: ServerConnection,
  clientId: number,
  changed: () => void,
): Buffer | undefined {
  const plan = planParamSync(params, server.params)
  if (plan.notices !== undefined) changed()
  if (plan.sets.length === 0) return plan.notices
  const done = (error: string | undefined) => {
    if (error === undefined) return
    // A value the server refuses (say, an unknown TimeZone from the startup packet) would be retried on
    // every checkout: take the server's values instead and say so in the log, by name only.
    log.warn('could not apply a client parameter on the server; keeping the server value', {
      client: clientId,
      parameters: plan.sets.map(setName),
      sqlstate: query.sqlstate ?? 'none (the server connection was lost)',
    })
    for (const name of TRACKED_PARAMETERS) {
      const value = server.params.get(name)
      if (value !== undefined) params.set(name, value)
    }
    changed()
  }
  const query = new ParamQuery(done, (name, value) => {
    params.set(name, value)
    changed()
  })
  server.sendInternal(query, plan.sets)
  return plan.notices
}

/** The parameter of a `SET <name> = <literal>` from planParamSync (tracked names hold no blank). */
function setName(sql: string): string {
  return sql.split(' ', 2)[1] ?? ''
}
