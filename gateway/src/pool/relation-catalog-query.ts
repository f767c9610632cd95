/**
 * Runs one of the gateway's own read-only queries on a connection of a user pool (the primary of shard
 * 0, as that pool's user, so an unqualified name resolves under that user's default search_path), and
 * gives the connection back. Not counted in the pool's client statistics.
 * @module
 */
import type { GatewayError } from '../errors.js'
import { InternalRowsQuery, type TextRows } from './internal-query.js'
import type { CheckoutWaiter } from './server-pool.js'
import type { UserPool } from './user-pool.js'

/** How long the checkout and the query may take together before the answer counts as failed. */
export const CATALOG_QUERY_TIMEOUT_MS = 5_000

/**
 * Resolves to the rows of `sql`; rejects on an error, a lost server, or no answer within `timeoutMs`
 * (a connection still running it then is closed: a late reply could not be told from the next one).
 */
export function runPoolQuery(
  pool: UserPool,
  sql: string,
  timeoutMs = CATALOG_QUERY_TIMEOUT_MS,
): Promise<TextRows> {
  const server = pool.currentPrimary(0)
  return new Promise((resolve, reject) => {
    let finished = false
    let lent: { close(): void } | undefined
    const finish = (error: string | GatewayError | undefined, rows: TextRows = []) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      if (error === undefined) resolve(rows)
      else reject(new Error(typeof error === 'string' ? error : error.message))
    }
    const waiter: CheckoutWaiter = {
      onCheckout: (conn) => {
        if (finished) return server.checkin(conn, 'transaction')
        lent = conn
        const query = new InternalRowsQuery((error, rows) => {
          if (finished) return // timed out: the connection is closing
          lent = undefined
          server.checkin(conn, 'transaction')
          finish(error, rows)
        })
        conn.sendInternal(query, [sql])
      },
      onCheckoutError: (error) => finish(error),
    }
    const timer = setTimeout(() => {
      finish(`no answer within ${timeoutMs} ms`)
      if (lent !== undefined) lent.close()
      else server.cancelCheckout(waiter)
    }, timeoutMs)
    timer.unref()
    server.checkout(waiter, false)
  })
}
