/**
 * What a sharded pool's requests need beyond a single server's (issue 20):
 * - a cross-shard read is planned (sql/cross-shard-plan.ts) before it fans out: the one Query it
 *   must be becomes what each shard runs, plus how their results combine;
 * - a batch that only prepares and describes and is left open (postgres.js sends Parse, Describe,
 *   Flush before the first execution of each parameterized statement) cannot be routed by key: its
 *   Bind comes later and would run on whatever server the batch landed on. The gateway ends such a
 *   batch with a Sync of its own, swallows that ReadyForQuery and gives the server back, so the Bind
 *   is routed by its own key (the statement cache prepares the statement on that shard's server).
 *   The client's input waits meanwhile, so nothing of it reaches the server being given back.
 * @module
 */
import { GatewayError } from '../errors.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import { serializeQuery } from '../protocol/frontend.js'
import type { MergeSpec } from '../protocol/merge-spec.js'
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
