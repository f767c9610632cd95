/**
 * The messages the prepared-statement rewriting injects on a server, each with the reply action that
 * keeps the client's view exact: completions the client did not ask for are dropped, the result shape
 * of every copy is learned from a Describe, failures forget what the server does not hold.
 * @module
 */
import type { Outgoing } from '../pool/server-conn.js'
import type { PreparedCopy, StatementCache } from '../pool/statement-cache.js'
import { serializeErrorResponse } from '../protocol/backend.js'
import { rowShape } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import { serializeClose, serializeDescribe, serializeParse, TARGET_STATEMENT } from '../protocol/extended.js'
import type { ReplyAction } from '../protocol/outstanding.js'
import { SqlState } from '../protocol/sqlstate.js'
import type { GlobalStatement } from './prepared-registry.js'

/** Drops the completion of a message only the gateway needed (a Close before a Parse, an eviction). */
export const DROP: ReplyAction = { drop: true }

/** What Postgres answers when a prepared statement's result type changed since it was parsed. */
const CACHED_PLAN_CHANGED = serializeErrorResponse({
  severity: 'ERROR',
  code: SqlState.FeatureNotSupported,
  message: 'cached plan must not change result type',
  file: 'plancache.c',
  routine: 'RevalidateCachedQuery',
})

/**
 * In place of a client's Bind or Describe of a statement whose shape differs from the server's copy:
 * a Describe of a name no server holds makes the server fail right there (so it skips the rest of the
 * batch to the Sync, as it would), and its error is replaced by Postgres's own for a changed plan.
 */
export function changedPlanError(absentName: string): Outgoing {
  return {
    bytes: serializeDescribe(TARGET_STATEMENT, absentName),
    action: { drop: false, replaceError: CACHED_PLAN_CHANGED },
  }
}

/** What the owner of an injected Parse wants to hear. */
export interface PrepareHooks {
  /** The Parse is the client's own: its ParseComplete goes to the client. */
  clientParse: boolean
  onParsed?(): void
  onParseFailed?(): void
  /** The copy's result shape arrived (or will never arrive: `failed`). */
  onShape?(copy: PreparedCopy, failed: boolean): void
}

/**
 * Close (any copy the cache lost track of) + Parse + Describe of `stmt` on the server whose cache is
 * `cache`, after Closes of the statements the LRU evicts. Returns the new copy.
 */
export function prepareOn(
  out: Outgoing[],
  stmt: GlobalStatement,
  cache: StatementCache,
  protect: ReadonlySet<string>,
  hooks: PrepareHooks,
): PreparedCopy {
  const { copy, evicted } = cache.add(stmt.name, protect)
  for (const name of evicted) out.push({ bytes: serializeClose(TARGET_STATEMENT, name), action: DROP })
  out.push({ bytes: serializeClose(TARGET_STATEMENT, stmt.name), action: DROP })
  const parse: ReplyAction = {
    drop: !hooks.clientParse,
    onDone: () => {
      stmt.validated = true
      hooks.onParsed?.()
    },
    onFailed: () => {
      cache.delete(copy)
      hooks.onParseFailed?.()
    },
  }
  out.push({ bytes: serializeParse(stmt.name, stmt.body), action: parse })
  out.push({ bytes: serializeDescribe(TARGET_STATEMENT, stmt.name), action: shapeAction(copy, hooks) })
  return copy
}

/** Learns a copy's result shape from the replies to its Describe, which the client never sees. */
function shapeAction(copy: PreparedCopy, hooks: PrepareHooks): ReplyAction {
  return {
    drop: true,
    onReply: (code, buf, start, end) => {
      if (code === BackendCode.RowDescription) copy.shape = rowShape(buf, start, end)
      else if (code === BackendCode.NoData) copy.shape = ''
    },
    onDone: () => hooks.onShape?.(copy, false),
    onFailed: () => hooks.onShape?.(copy, true),
  }
}
