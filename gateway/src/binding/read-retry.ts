/**
 * A read that may run again on another server: a request that only reads, outside a transaction,
 * whose server dies before any byte of its answer reached the client. The client then gets the
 * answer from the next candidate instead of an error, as if nothing had happened (a read that ran
 * halfway changed nothing).
 *
 * A dying server speaks before it goes: an immediate shutdown sends each backend's client a WARNING
 * (57P01, "terminating connection due to immediate shutdown command"), a fast one a FATAL. Until the
 * first other byte of the answer, such messages are held back here; they reach the client only if
 * the answer goes on after all (and then, in order, before it).
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/tcop/postgres.c (quickdie)
 * @module
 */
import { isFatalError } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'

/** The retry state of one transaction's request (at most one retry, then it is disarmed). */
export class ReadRetry {
  private bytes?: Buffer
  private syncs = 0
  private held: Buffer[] = []
  private replied = false

  /** Keeps a copy of the request's bytes (the framer's buffer is reused once they are sent). */
  arm(bytes: Buffer, syncs: number): void {
    this.bytes = Buffer.from(bytes)
    this.syncs = syncs
    this.replied = false
    if (this.held.length > 0) this.held = []
  }

  /** Nothing to retry any more (answered, retried once, or the transaction went on). */
  disarm(): void {
    this.bytes = undefined
    if (this.held.length > 0) this.held = []
  }

  /** True while a lost server would send the request elsewhere. */
  get armed(): boolean {
    return this.bytes !== undefined && !this.replied
  }

  /**
   * Called with each reply chunk while armed: true when the chunk is only a dying server's notices or
   * FATAL, kept back; false when it is the answer (the retry is off from then on).
   */
  hold(buf: Buffer, start: number, end: number): boolean {
    if (!this.armed) return false
    if (onlyParting(buf, start, end)) {
      this.held.push(Buffer.from(buf.subarray(start, end)))
      return true
    }
    this.replied = true
    return false
  }

  /** Messages held back that must go to the client before the answer. */
  takeHeld(): Buffer | undefined {
    if (this.held.length === 0) return undefined
    const out = Buffer.concat(this.held)
    this.held = []
    return out
  }

  /** The request to send again (once), if the lost server had not answered it; disarms. */
  take(): { bytes: Buffer; syncs: number } | undefined {
    const bytes = this.armed ? this.bytes : undefined
    this.disarm()
    return bytes === undefined ? undefined : { bytes, syncs: this.syncs }
  }
}

/** True when `buf[start, end)` holds only NoticeResponses and FATAL ErrorResponses. */
function onlyParting(buf: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; ) {
    const next = at + 1 + buf.readUInt32BE(at + 1)
    const code = buf[at]
    if (
      code === BackendCode.ErrorResponse ? !isFatalError(buf, at, next) : code !== BackendCode.NoticeResponse
    )
      return false
    at = next
  }
  return start < end
}
