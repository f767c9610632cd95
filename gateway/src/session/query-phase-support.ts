/**
 * Small parts of the query phase: the idle-in-transaction timer, the reply to requests no server could
 * take, and the rules it reads from message types.
 * @module
 */
import { GatewayError } from '../errors.js'
import { serializeReadyForQuery } from '../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'
import type { RouteDecision, RoutingState } from '../router/route.js'
import type { ClientContext, ClientTransport } from './client-context.js'
import type { ClientSettings } from './client-settings.js'

/** Who the timer fails. */
interface TimerOwner {
  fail(error: GatewayError): void
}

/**
 * PgCat's idle_client_in_transaction_timeout: a client idle inside a transaction (or inside an open
 * extended-protocol batch) holds a server connection; after the timeout it is disconnected. And
 * PgBouncer's transaction_timeout: a transaction that lasts too long, busy or not, ends the same way.
 */
export class TransactionTimers {
  private idleInTransaction?: NodeJS.Timeout
  private transaction?: NodeJS.Timeout

  constructor(
    private readonly owner: TimerOwner,
    /** The pool's current timeout in ms (0 = never), read at each arming so a reload applies. */
    private readonly timeout: () => number,
    /** The pool's transaction_timeout in ms (0 = never), read at the start of each transaction. */
    private readonly transactionTimeout: () => number = () => 0,
  ) {}

  /** A request starts while no transaction is timed: time it (a no-op when one is, or without a limit). */
  armTransaction(): void {
    if (this.transaction !== undefined) return
    const ms = this.transactionTimeout()
    if (ms <= 0) return
    this.transaction = setTimeout(() => this.owner.fail(transactionTimeoutError(ms)), ms)
  }

  /** ReadyForQuery said idle: the transaction ended. */
  endTransaction(): void {
    if (this.transaction === undefined) return
    clearTimeout(this.transaction)
    this.transaction = undefined
  }

  armIdleInTransaction(): void {
    const ms = this.timeout()
    if (ms <= 0) return
    clearTimeout(this.idleInTransaction)
    this.idleInTransaction = setTimeout(() => this.owner.fail(idleInTransactionError(ms)), ms)
  }

  clear(): void {
    if (this.idleInTransaction === undefined) return
    clearTimeout(this.idleInTransaction)
    this.idleInTransaction = undefined
  }
}

/**
 * As Postgres 17 words it.
 * @see https://www.postgresql.org/docs/17/runtime-config-client.html#GUC-TRANSACTION-TIMEOUT
 */
function transactionTimeoutError(ms: number): GatewayError {
  return new GatewayError('TRANSACTION_TIMEOUT', 'terminating connection due to transaction timeout', {
    severity: 'FATAL',
    detail: `the transaction lasted longer than transaction_timeout (${ms} ms)`,
  })
}

function idleInTransactionError(ms: number): GatewayError {
  return new GatewayError(
    'IDLE_IN_TRANSACTION_TIMEOUT',
    'terminating connection due to idle-in-transaction timeout',
    {
      severity: 'FATAL',
      detail: `the client held a server connection inside a transaction without sending anything for ${ms} ms (idle_client_in_transaction_timeout)`,
    },
  )
}

/** `error` and a ReadyForQuery for each of `syncs` requests, as if each statement had failed. */
export function failedRequestsReply(error: GatewayError, syncs: number): Buffer {
  const reply = Buffer.concat([error.toErrorResponse(), serializeReadyForQuery(TxnStatus.Idle)])
  return syncs === 1 ? reply : Buffer.concat(Array(syncs).fill(reply))
}

/**
 * True when a batch ending with this message waits on the client: an extended-protocol message other
 * than Sync and Flush (the server sends nothing back until one of them).
 */
export function opensBatch(code: number): boolean {
  return (
    code === FrontendCode.Parse ||
    code === FrontendCode.Bind ||
    code === FrontendCode.Describe ||
    code === FrontendCode.Execute ||
    code === FrontendCode.Close
  )
}

/** True when the whole messages in `bytes` are all simple Query messages (what a multi-shard request may be). */
export function onlyQueries(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += 1 + bytes.readUInt32BE(at + 1))
    if (bytes[at] !== FrontendCode.Query) return false
  return true
}

export function shardNames(decision: RouteDecision): string[] {
  return decision.shards.map((shard) => `shard ${shard}`)
}

export const MULTI_SHARD_PROTOCOL = new GatewayError(
  'FEATURE_NOT_SUPPORTED',
  'a request to several shards must use the simple query protocol',
  { hint: 'send it as one Query message, or route it to one shard' },
)

/** A read that would fan out to every shard came in the extended protocol (or with other messages). */
export const CROSS_SHARD_PROTOCOL = new GatewayError(
  'SHARD_NOT_CHOSEN',
  'a read that names no shard runs on every shard (cross_shard_reads) only as one simple-protocol Query',
  {
    hint: 'send it as a single Query message without parameters, or name its shard (the sharding key in the WHERE clause, SET SHARD TO, SET SHARDING KEY TO)',
  },
)

export function invalidMessage(code: number): GatewayError {
  return new GatewayError('PROTOCOL_VIOLATION', `invalid frontend message type ${code}`, {
    severity: 'FATAL',
    hint: 'the client sent bytes that are not a Postgres protocol message; check that it speaks protocol 3.0',
  })
}

/** What the query phase needs from the session around it. */
export interface QueryPhaseOwner {
  readonly id: number
  readonly context: ClientContext
  readonly transport: ClientTransport
  readonly database: string
  readonly username: string
  readonly routing: RoutingState
  /** The client's parameter values (reported to it, or chosen by it). */
  readonly params: Map<string, string>
  /** The run-time parameters that follow the client from server to server. */
  readonly settings: ClientSettings
  /** Sends a FATAL error and closes (non-FATAL: sends it and goes on). */
  fail(error: GatewayError): void
  close(reason: string, lastBytes?: Buffer): void
  /** Closes the client if a shutdown is under way and it is between transactions (see ConnectionTarget). */
  shutdown(force: boolean): void
  /** Input arrived while the phase held it back: read the framer again. */
  resumeInput(): void
}
