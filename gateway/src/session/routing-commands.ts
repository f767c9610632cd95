/**
 * PgCat's routing commands for reads and writes, answered by the gateway as PgCat answers them:
 * `SET SERVER ROLE TO 'primary'|'replica'|'any'|'auto'|'default'`, `SHOW SERVER ROLE`,
 * `SET PRIMARY READS TO 'on'|'off'|'default'`, `SHOW PRIMARY READS` (sql/routing-command.ts reads
 * them; see there for PgCat's exact replies). They change the client's routing state, which the
 * router reads at the client's next transaction. The shard commands (`SET SHARD TO`, `SET SHARDING
 * KEY TO`, `SHOW SHARD`) belong to sharding and still go to the server here.
 * @see https://github.com/postgresml/pgcat/blob/main/src/client.rs (handle_custom_protocol)
 * @module
 */
import type { UserPool } from '../pool/user-pool.js'
import {
  serializeCommandComplete,
  serializeDataRow,
  serializeErrorResponse,
  serializeReadyForQuery,
  serializeRowDescription,
} from '../protocol/backend.js'
import { SqlState } from '../protocol/sqlstate.js'
import type { RoutingState } from '../router/route.js'
import { invalidRoutingValueMessage, parseRoutingCommand, type RoutingCommand } from '../sql/index.js'

const TEXT_OID = 25

/**
 * The reply to a Query `buf[start, end)` (the whole message) that is one of the routing commands
 * above, after applying it to `routing`; undefined for anything else. `status`: the client's
 * transaction status for the closing ReadyForQuery.
 */
export function routingCommandReply(
  buf: Buffer,
  start: number,
  end: number,
  routing: RoutingState,
  pool: UserPool,
  status: number,
): Buffer | undefined {
  if (!startsWithSetOrShow(buf, start + 5, end)) return undefined // cheap test before the lexer
  const cmd = parseRoutingCommand(buf, start + 5, end - 1)
  if (cmd === undefined) return undefined
  const body = answer(cmd, routing, pool)
  return body === undefined ? undefined : Buffer.concat([body, serializeReadyForQuery(status)])
}

function answer(cmd: RoutingCommand, routing: RoutingState, pool: UserPool): Buffer | undefined {
  switch (cmd.kind) {
    case 'set-server-role':
      if (cmd.role === 'default') delete routing.role
      else routing.role = cmd.role
      return serializeCommandComplete('SET SERVER ROLE')
    case 'set-primary-reads':
      if (cmd.value === 'default') delete routing.primaryReads
      else routing.primaryReads = cmd.value === 'on'
      return serializeCommandComplete('SET PRIMARY READS')
    case 'show-server-role':
      return oneValue('server role', serverRole(routing, pool))
    case 'show-primary-reads':
      return oneValue('primary reads', (routing.primaryReads ?? pool.routing.primaryReads) ? 'on' : 'off')
    case 'invalid':
      if (cmd.command !== 'set-server-role' && cmd.command !== 'set-primary-reads') return undefined
      return serializeErrorResponse({
        severity: 'ERROR',
        code: SqlState.InvalidParameterValue,
        ...invalidRoutingValueMessage(cmd),
      })
    default:
      return undefined // the shard commands: sharding's
  }
}

/** What SHOW SERVER ROLE says: the client's role, else the pool's (auto when it splits by statement). */
function serverRole(routing: RoutingState, pool: UserPool): string {
  if (routing.role !== undefined) return routing.role
  return pool.routing.splitting ? 'auto' : pool.routing.defaultRole
}

function oneValue(column: string, value: string): Buffer {
  return Buffer.concat([
    serializeRowDescription([{ name: column, typeOid: TEXT_OID, typeSize: -1 }]),
    serializeDataRow([value]),
    serializeCommandComplete('SELECT 1'),
  ])
}

/**
 * True when the text after blanks starts with `set` or `sho` in any case (a SELECT, the common case,
 * stops at its third letter). Comments first make it false: PgCat's regexes do not take them either.
 */
function startsWithSetOrShow(buf: Buffer, at: number, end: number): boolean {
  while (at < end && (buf[at] === 0x20 || buf[at] === 0x0a || buf[at] === 0x09 || buf[at] === 0x0d)) at++
  if (at + 3 > end || (buf[at]! | 0x20) !== 0x73) return false
  const b1 = buf[at + 1]! | 0x20
  const b2 = buf[at + 2]! | 0x20
  return (b1 === 0x65 && b2 === 0x74) || (b1 === 0x68 && b2 === 0x6f)
}
