/**
 * A held BEGIN: with read/write splitting, a lone `BEGIN` that names no access mode cannot be routed
 * yet: its transaction may be read only (`SET TRANSACTION READ ONLY` next, which a replica may serve)
 * or may write (the primary must serve all of it, its first read included). So the gateway answers
 * the BEGIN itself (CommandComplete `BEGIN`, ReadyForQuery `T`, as Postgres does), keeps its text, and
 * routes the transaction at its first statement; the BEGIN then runs on the chosen server as the
 * gateway's own query, pipelined ahead of that statement, so it costs no round trip.
 *
 * Only texts Postgres is sure to accept are held (the forms below, with no comments), so the answer
 * given early is the one the server would have given. What differs from direct: the transaction starts
 * on the server at its first statement, so `now()` and the snapshot are taken then, not at BEGIN (as
 * with PgBouncer's and PgCat's transaction pooling, where the BEGIN itself waits for a server).
 * @see https://www.postgresql.org/docs/current/sql-begin.html
 * @module
 */
import { log } from '../log.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import { serializeCommandComplete, serializeReadyForQuery } from '../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'

/** `BEGIN [WORK | TRANSACTION]` or `START TRANSACTION`, with at most an isolation level (not SERIALIZABLE) and [NOT] DEFERRABLE. */
const HOLDABLE =
  /^\s*(?:begin(?:\s+(?:work|transaction))?|start\s+transaction)(?:\s+isolation\s+level\s+(?:read\s+committed|repeatable\s+read|read\s+uncommitted))?(?:\s*,?\s*(?:not\s+)?deferrable)?\s*;?\s*$/i

/** What the client gets for a held BEGIN. */
export const BEGIN_REPLY = Buffer.concat([
  serializeCommandComplete('BEGIN'),
  serializeReadyForQuery(TxnStatus.InTransaction),
])

/** The BEGIN text of `bytes` when they are exactly one Query message that may be held; else undefined. */
export function holdableBegin(bytes: Buffer): string | undefined {
  if (bytes.length < 6 || bytes[0] !== FrontendCode.Query) return undefined
  if (1 + bytes.readUInt32BE(1) !== bytes.length || bytes.length > 200) return undefined
  const text = bytes.toString('utf8', 5, bytes.length - 1)
  return HOLDABLE.test(text) ? text : undefined
}

/**
 * Runs a held BEGIN on `server` ahead of the client's first statement. Its replies are the gateway's;
 * should the server refuse it (it cannot, for the texts held), the statements run outside a block and
 * the client sees ReadyForQuery `I`: logged, since the client's view of its transaction was wrong.
 */
export function runHeldBegin(server: ServerConnection, text: string, clientId: number): void {
  server.sendInternal(
    new InternalQuery((error) => {
      if (error !== undefined) log.warn('a held BEGIN failed on the server', { client: clientId, error })
    }),
    [text],
  )
}
