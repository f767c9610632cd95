/**
 * A conformance connection over node-postgres' Client, or Neon's (a fork of node-postgres 8.8 that
 * talks over a WebSocket): the direct, TCP and WebSocket targets all drive cases through this one
 * mapping, so their records differ only by what the servers sent.
 * @module
 */
import { CopyQuery } from './copy-query.js'
import { outcomeOf, type PgLikeResult, reportRecord } from './normalize.js'
import type { ConformanceConn, Outcome, QuerySpec, ReportRecord } from './target.js'

/** The node-postgres Client surface the suite uses, shared by pg.Client and Neon's Client. */
export interface PgLikeClient {
  connect(): Promise<unknown>
  query(config: QuerySpec): Promise<PgLikeResult | PgLikeResult[]>
  query(submittable: CopyQuery): unknown
  on(event: 'notice' | 'error' | 'end', listener: (message: unknown) => void): unknown
  end(): Promise<void>
}

/** Sends a CancelRequest with a connection's key to wherever that connection logged in. */
export type SendCancel = (processId: number, secretKey: number) => Promise<void>

/** Reads the BackendKeyData node-postgres keeps (not in its type declarations). */
function cancelKey(client: PgLikeClient): { processId: number; secretKey: number } {
  const { processID, secretKey } = client as unknown as { processID?: number; secretKey?: number }
  if (typeof processID !== 'number' || typeof secretKey !== 'number')
    throw new Error('the connection has no cancel key (no BackendKeyData yet)')
  return { processId: processID, secretKey }
}

/** How long closing may take; a connection the server already closed must not hold up the run. */
const CLOSE_TIMEOUT_MS = 2000

/**
 * Ends the client, giving up after `ms`: Neon's Client never settles `end()` once its WebSocket was
 * closed under it, which would hang the case that found the problem.
 */
async function endWithin(client: PgLikeClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  await Promise.race([client.end().catch(() => {}), late])
  clearTimeout(timer)
}

/** Connects `client` and wraps it; notices are collected from the moment it connects. */
export async function pgConn(client: PgLikeClient, sendCancel: SendCancel): Promise<ConformanceConn> {
  const notices: ReportRecord[] = []
  client.on('notice', (n) => notices.push(reportRecord(n)))
  client.on('error', () => {}) // a dead socket surfaces through the failing query; keep the process alive
  let ended = false
  client.on('end', () => {
    ended = true
  })
  await client.connect()
  const query = (spec: QuerySpec | string) =>
    outcomeOf(() => client.query(typeof spec === 'string' ? { text: spec } : spec))
  const copy = (text: string, data?: string) =>
    outcomeOf(() => {
      const q = new CopyQuery(text, data)
      client.query(q)
      return q.result
    })
  return {
    query,
    batch: (specs) => batch(query, specs),
    takeNotices: () => notices.splice(0),
    cancel: () => {
      const key = cancelKey(client)
      return sendCancel(key.processId, key.secretKey)
    },
    copyIn: (text, data) => copy(text, data),
    copyOut: (text) => copy(text),
    close: async () => {
      if (!ended) await endWithin(client, CLOSE_TIMEOUT_MS)
    },
  }
}

/**
 * BEGIN, each query, COMMIT; at the first error, ROLLBACK and that error. What `sql.transaction()`
 * does over HTTP, done by hand on a session, so the two compare.
 */
async function batch(query: (spec: QuerySpec) => Promise<Outcome>, specs: QuerySpec[]): Promise<Outcome> {
  const begin = await query({ text: 'BEGIN' })
  if ('error' in begin) return begin
  const results = []
  for (const spec of specs) {
    const outcome = await query(spec)
    if ('error' in outcome) {
      await query({ text: 'ROLLBACK' })
      return outcome
    }
    results.push(...outcome.ok)
  }
  const commit = await query({ text: 'COMMIT' })
  return 'error' in commit ? commit : { ok: results }
}
