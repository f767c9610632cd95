/**
 * Replies the gateway gives a transaction-mode client itself, without a server, because they concern
 * only the client's own view of its prepared statements. The caller checks that nothing of the
 * client's is in flight, so these replies stay in order.
 * @module
 */
import { serializeCommandComplete, serializeReadyForQuery } from '../protocol/backend.js'
import { mayBeDeallocate, parseDeallocate } from './deallocate.js'
import type { StatementRewriter } from './statement-rewriter.js'

const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4])

/**
 * For a Query `buf[start, end)` that is a lone DEALLOCATE of the client's own statements: forgets them
 * and returns CommandComplete + ReadyForQuery. Anything else (including names only the server knows,
 * from SQL PREPARE) returns undefined and goes to the server.
 */
export function deallocateReply(
  rw: StatementRewriter,
  buf: Buffer,
  start: number,
  end: number,
  status: number,
): Buffer | undefined {
  if (!mayBeDeallocate(buf, start + 5, end)) return undefined // cheap test before decoding any text
  const target = parseDeallocate(buf.toString('utf8', start + 5, end - 1))
  if (target === undefined || ('name' in target && !rw.knows(target.name))) return undefined
  rw.deallocate('name' in target ? target.name : undefined)
  const tag = 'name' in target ? 'DEALLOCATE' : 'DEALLOCATE ALL'
  return Buffer.concat([serializeCommandComplete(tag), serializeReadyForQuery(status)])
}

/** At a Sync: ParseComplete + ReadyForQuery when the batch was a lone Parse of an accepted statement. */
export function prepareReply(rw: StatementRewriter, status: number): Buffer | undefined {
  if (!rw.takeLocalPrepare()) return undefined
  return Buffer.concat([PARSE_COMPLETE, serializeReadyForQuery(status)])
}
