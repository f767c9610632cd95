/**
 * Running an interactive transaction: a WebSocket session to the gateway, routed by routing commands
 * before BEGIN, COMMIT or ROLLBACK around the callback, and the primary's position learned after a
 * commit so the client's next HTTP reads see the transaction's writes.
 * @module
 */
import type { BookmarkState } from './bookmark.js'
import type { ClientConfig, TransactionOptions } from './config.js'
import { SkiffError } from './errors.js'
import { type Routing, routingCommands } from './routing.js'
import { beginStatement } from './transaction.js'
import { type WebSocketConstructor, WireConnection } from './wire/connection.js'

/** The WebSocket URL of the gateway: ws(s) on the same host and port. */
function webSocketUrl(c: ClientConfig): string {
  const u = new URL(c.url)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.pathname = c.webSocketPath ?? '/v2'
  return u.toString()
}

/** Opens a session, runs `body` inside BEGIN … COMMIT (ROLLBACK when it throws), closes it. */
export async function runTransaction<R>(
  config: ClientConfig,
  routing: Routing,
  o: TransactionOptions,
  bookmark: BookmarkState,
  body: (conn: WireConnection) => Promise<R>,
): Promise<R> {
  if (config.password === undefined && config.token !== undefined)
    throw new SkiffError('transaction() logs in over WebSocket with a password; an API token is HTTP only', {
      code: 'SKIFF_BAD_INPUT',
    })
  const WS = config.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (WS === undefined)
    throw new SkiffError('transaction() needs a WebSocket: pass createClient({ WebSocket })', {
      code: 'SKIFF_BAD_INPUT',
    })
  const ryw = config.readYourWrites !== false
  const conn = await WireConnection.open({
    url: webSocketUrl(config),
    user: config.user,
    password: config.password,
    database: config.database,
    WebSocket: WS,
    applicationName: config.applicationName,
  })
  try {
    // The WebSocket front cannot carry a bookmark: a client that has written reads on the primary.
    const pinned = ryw && bookmark.lsn !== undefined && routing.role === undefined
    for (const cmd of routingCommands(pinned ? { ...routing, role: 'primary' } : routing))
      await conn.query(cmd)
    await conn.query(beginStatement(o))
    let out: R
    try {
      out = await body(conn)
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => {})
      throw err
    }
    await conn.query('COMMIT')
    if (o.readOnly !== true) config.onCommit?.()
    if (ryw && o.readOnly !== true && routing.role !== 'replica') await learnPosition(conn, bookmark)
    return out
  } finally {
    conn.close()
  }
}

/** After a commit: the primary's WAL position, as the bookmark later HTTP reads carry. */
async function learnPosition(conn: WireConnection, bookmark: BookmarkState): Promise<void> {
  try {
    await conn.query(`SET SERVER ROLE TO 'primary'`)
    const r = await conn.query('SELECT pg_current_wal_lsn()::text')
    bookmark.advance(r.rows[0]?.[0] ?? undefined)
  } catch {
    // No position (e.g. a pool without replicas refusing the role): later reads go where routing says.
  }
}
