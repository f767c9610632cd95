/**
 * What a sharded pool's requests need beyond a single server's (issue 20):
 * - a cross-shard read is planned (sql/cross-shard-plan.ts) before it fans out: the one Query it
 *   must be becomes what each shard runs, plus how their results combine;
 * - a batch that only prepares and describes and is left open (postgres.js sends Parse, Describe,
 *   Flush before the first execution of each parameterized statement) cannot be routed by key: its
 *   Bind comes later and would run on whatever server the batch landed on. The gateway ends such a
 *   batch with a Sync of its own, swallows that ReadyForQuery and gives the server back, so the Bind
 *   is routed by its own key (the statement cache prepares the statement on that shard's server).
 *   The client's input waits meanwhile, so nothing of it reaches the server being given back;
 * - a Query inside a transaction that is already on a shard, whose key or comment names another
 *   shard, must not run there: it is replaced by a statement that fails on the server with 0A000,
 *   so the transaction fails where it runs, as for any error (a COMMIT then rolls back).
 * @module
 */
import { GatewayError } from '../errors.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import { FrontendCode } from '../protocol/codes.js'
import { serializeQuery } from '../protocol/frontend.js'
import type { MergeSpec } from '../protocol/merge-spec.js'
import { ClientRequest } from '../request/client-request.js'
import { shardTarget } from '../router/shard-target.js'
import { statementTarget } from '../router/statement-target.js'
import { planCrossShardRead } from '../sql/index.js'
import { CROSS_SHARD_PROTOCOL, onlyQueries } from './query-phase-support.js'

/**
 * A cross-shard read's plan from the one Query message `plain` (undefined: not plain messages):
 * what each shard runs and how the results combine, or why it cannot run across shards.
 */
export function planCrossShard(
  plain: Buffer | undefined,
  syncs: number,
  poolName: string,
): { bytes: Buffer; merge: MergeSpec } | GatewayError {
  const one =
    plain !== undefined && syncs === 1 && onlyQueries(plain) && plain.readUInt32BE(1) + 1 === plain.length
  if (!one) return CROSS_SHARD_PROTOCOL
  const plan = planCrossShardRead(plain.toString('utf8', 5, plain.length - 1))
  if (plan.kind === 'refuse')
    return new GatewayError('SHARD_NOT_CHOSEN', `pool ${poolName}: ${plan.message}`, { hint: plan.hint })
  return { bytes: serializeQuery(plan.shardSql), merge: plan.merge }
}

/** What a {@link DescribeFirst} asks of the session. */
export interface DescribeFirstHost {
  /** The Sync was answered: give `server` back if the client left nothing else on it. */
  closed(server: ServerConnection): void
  resumeInput(): void
}

/** Closing one describe-only batch with the gateway's own Sync (see the module comment). */
export class DescribeFirst {
  /** A described batch is on its way to a server, or its Sync is not answered yet. */
  active = false
  /** The client's input waits until the Sync is answered. */
  holdingInput = false

  constructor(private readonly host: DescribeFirstHost) {}

  /**
   * Whether the batch being routed is one to close: no Sync, nothing executed, in a sharded pool
   * whose servers are shared per transaction.
   */
  static wanted(syncs: number, sharing: boolean, shards: number, runsStatement: boolean): boolean {
    return syncs === 0 && sharing && shards > 1 && !runsStatement
  }

  /** The batch's server was lent: the Sync follows the batch, which the binding sends once this returns. */
  attached(server: ServerConnection): void {
    queueMicrotask(() => server.sendInternal(new InternalQuery(() => this.answered(server)), [], true))
  }

  private answered(server: ServerConnection): void {
    this.active = false
    this.host.closed(server)
    if (this.holdingInput) {
      this.holdingInput = false
      queueMicrotask(() => this.host.resumeInput())
    }
  }
}

/** Reads the statements of a transaction already on a shard (one per session, reused). */
export class ShardCheck {
  private readonly request = new ClientRequest()

  /**
   * For the Query `buf[start, end)` run inside a transaction on `server` of `pool`: undefined when it
   * may run there, else the Query to send instead, which fails with why it may not.
   */
  mismatch(pool: UserPool, server: ServerPool, buf: Buffer, start: number, end: number): Buffer | undefined {
    const sharding = pool.routing.sharding
    if (
      sharding.automaticKey === undefined &&
      sharding.keyRegex === undefined &&
      sharding.shardIdRegex === undefined
    )
      return undefined
    const current = pool.shards.findIndex((servers) => servers.includes(server))
    if (current < 0) return undefined
    const r = this.request
    r.set(FrontendCode.Query, buf, start, end)
    try {
      const ctx = { sessionShard: current, inTransaction: true }
      const info = r.statement
      const shard = shardTarget(info, statementTarget(info), r.shardSources(sharding), ctx, pool)
      if (shard === current) return undefined
      return failingQuery(
        new GatewayError(
          'SHARD_NOT_CHOSEN',
          `pool ${pool.name}: this transaction runs on shard ${current}, and this statement names shard ${shard}`,
          {
            hint: 'run the statements of each shard in a transaction of their own',
          },
        ),
      )
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err
      return failingQuery(err)
    }
  }
}

/**
 * A Query that fails on the server with `error`'s SQLSTATE, message and hint (a DO block raising it):
 * the server's transaction fails with it, as the client is told.
 * @see https://www.postgresql.org/docs/current/plpgsql-errors-and-messages.html
 */
export function failingQuery(error: GatewayError): Buffer {
  const quote = (text: string) => `$skiff$${text.replaceAll('$', '')}$skiff$`
  const hint = error.hint === undefined ? '' : `, HINT = ${quote(error.hint)}`
  const raise = `RAISE EXCEPTION USING ERRCODE = '${error.sqlstate}', MESSAGE = ${quote(error.message)}${hint}`
  return serializeQuery(`DO $skiff_do$BEGIN ${raise}; END$skiff_do$`)
}
