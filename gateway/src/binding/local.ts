/**
 * The Local binding: requests the gateway answers itself, with no server. Today that is a
 * transaction-mode client's DEALLOCATE of its own statements and a lone Parse of a statement it
 * already has (session/local-replies.ts); SHOW SERVER ROLE, SET SHARD TO and the admin console plug in
 * here. The caller sends only when nothing of the client's is in flight, so replies stay in order.
 * @module
 */
import { TxnStatus } from '../protocol/codes.js'
import type { Binding, BindingClient } from './binding.js'

/**
 * Answers one request (whole client messages) given the client's transaction status: the complete
 * reply, ReadyForQuery included; undefined when the request is not one the gateway answers.
 */
export type LocalResponder = (request: Buffer, txnStatus: number) => Buffer | undefined

/** Serves requests from the gateway itself. */
export class LocalBinding implements Binding {
  readonly kind = 'local'
  readonly busy = false
  txnStatus: number = TxnStatus.Idle

  constructor(
    private readonly client: BindingClient,
    private readonly responder?: LocalResponder,
  ) {}

  /** Answers `request` through the responder; false when it is not one the gateway answers. */
  answerRequest(request: Buffer, txnStatus: number): boolean {
    const reply = this.responder?.(request, txnStatus)
    if (reply === undefined) return false
    this.answer(reply, txnStatus)
    return true
  }

  /** Sends a reply the gateway built, which ends with a ReadyForQuery of `txnStatus`. */
  answer(reply: Buffer, txnStatus: number): void {
    this.txnStatus = txnStatus
    this.client.reply(reply, 0, reply.length)
  }

  send(bytes: Buffer, _syncs: number): void {
    this.answerRequest(bytes, this.txnStatus)
  }

  // Nothing runs on a server: nothing to cancel, pause or give back.
  cancel(): void {}
  pause(): void {}
  resume(): void {}
  release(): void {}
  close(): void {}
}
