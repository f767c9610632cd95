/**
 * Client-visible process ids (BackendKeyData). They start above the largest pid a Linux kernel can
 * hand out (PID_MAX_LIMIT, 4,194,304), so a `pg_terminate_backend` of one can never hit a real
 * backend, and their low bits name the worker process that owns the client: when several gateway
 * processes later share one port, a CancelRequest reaching the wrong one can be passed to the owner.
 * @module
 */

/** Process ids above every real pid. */
export const FIRST_PROCESS_ID = 4_194_305
/** Bits of a process id that hold the worker id: up to 16 workers. */
export const WORKER_BITS = 4
const MAX_PROCESS_ID = 2 ** 31 - 1
/** How many ids each worker has. */
const SLOTS = Math.floor((MAX_PROCESS_ID - FIRST_PROCESS_ID + 1) / 2 ** WORKER_BITS)

/** The process id of a worker's `slot`-th client id (slot from 0). */
export function processIdOf(workerId: number, slot: number): number {
  return FIRST_PROCESS_ID + slot * 2 ** WORKER_BITS + workerId
}

/** The worker that handed out `processId`, or undefined when no worker could have. */
export function workerOfProcessId(processId: number): number | undefined {
  if (!Number.isInteger(processId) || processId < FIRST_PROCESS_ID || processId > MAX_PROCESS_ID)
    return undefined
  return (processId - FIRST_PROCESS_ID) % 2 ** WORKER_BITS
}

/** Hands out one worker's process ids in turn, skipping ids still in use. */
export class ProcessIds {
  private slot = -1

  constructor(readonly workerId = 0) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId >= 2 ** WORKER_BITS)
      throw new RangeError(`worker id must be 0 to ${2 ** WORKER_BITS - 1}`)
  }

  /** The next id for which `inUse` is false. */
  next(inUse: (processId: number) => boolean): number {
    let id: number
    do {
      this.slot = (this.slot + 1) % SLOTS
      id = processIdOf(this.workerId, this.slot)
    } while (inUse(id))
    return id
  }
}
