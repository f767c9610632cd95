/**
 * Small parts of the query phase: the idle-in-transaction timer and the reply to requests no server
 * could take.
 * @module
 */
import { GatewayError } from '../errors.js'
import { serializeReadyForQuery } from '../protocol/backend.js'
import { TxnStatus } from '../protocol/codes.js'

/** Who the timer fails. */
interface TimerOwner {
  fail(error: GatewayError): void
}

/**
 * PgCat's idle_client_in_transaction_timeout: a client idle inside a transaction (or inside an open
 * extended-protocol batch) holds a server connection; after the timeout it is disconnected.
 */
export class TransactionTimers {
  private idleInTransaction?: NodeJS.Timeout

  constructor(
    private readonly owner: TimerOwner,
    /** The pool's current timeout in ms (0 = never), read at each arming so a reload applies. */
    private readonly timeout: () => number,
  ) {}

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
