/**
 * PgCat's routing commands, answered by the gateway as PgCat answers them:
 * `SET SERVER ROLE TO 'primary'|'replica'|'any'|'auto'|'default'`, `SHOW SERVER ROLE`,
 * `SET PRIMARY READS TO 'on'|'off'|'default'`, `SHOW PRIMARY READS`, `SET SHARD TO '<n>'|'ANY'`,
 * `SET SHARDING KEY TO '<key>'`, `SHOW SHARD` (sql/routing-command.ts reads them; see there for
 * PgCat's exact replies). They change the client's routing state, which the router reads at the
 * client's next transaction. `SET SHARD TO 'ANY'` clears the session's shard, so each transaction's
 * statement or the pool's default_shard decides (PgCat picks one shard at random and keeps it; with
 * `default_shard = "random"` Skiff picks one per transaction). A shard out of range or a key that is
 * not a bigint is refused with 22023 and leaves the session's shard as it was.
 * @see https://github.com/postgresml/pgcat/blob/main/src/client.rs (handle_custom_protocol)
 * @module
 */
import { GatewayError } from '../errors.js'
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
import { checkedShard, shardOfKeyText } from '../router/shard-target.js'
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
    case 'set-shard':
    case 'set-sharding-key':
    case 'show-shard':
      return shardAnswer(cmd, routing, pool)
    case 'invalid':
      return serializeErrorResponse({
        severity: 'ERROR',
        code: SqlState.InvalidParameterValue,
        ...invalidRoutingValueMessage(cmd),
      })
  }
}

type ShardCommand = Extract<RoutingCommand, { kind: 'set-shard' | 'set-sharding-key' | 'show-shard' }>

function shardAnswer(cmd: ShardCommand, routing: RoutingState, pool: UserPool): Buffer {
  try {
    switch (cmd.kind) {
      case 'set-shard':
        if (cmd.shard.toLowerCase() === 'any') delete routing.shard
        else routing.shard = checkedShard(pool, cmd.shard, 'SET SHARD')
        return serializeCommandComplete('SET SHARD')
      case 'set-sharding-key':
        routing.shard = shardOfKeyText(pool, cmd.key, 'SET SHARDING KEY')
        return serializeCommandComplete('SET SHARDING KEY')
      case 'show-shard':
        return oneValue('shard', shownShard(routing, pool))
    }
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    return err.toErrorResponse()
  }
}

/** SHOW SHARD: the session's shard; else 0 in a pool of one shard, `any` in a pool of several. */
function shownShard(routing: RoutingState, pool: UserPool): string {
  if (routing.shard !== undefined) return String(routing.shard)
  return pool.shards.length === 1 ? '0' : 'any'
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
