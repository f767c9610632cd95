/**
 * Stand-ins for client sessions on a NotificationListener: a subscriber that records what it got, and
 * a listen() wrapped in a promise.
 * @module
 */
import type { GatewayError } from '../../errors.js'
import type { NotificationListener, NotificationSubscriber } from '../notification-listener.js'
import { notifyChange, until } from './until.js'

/** One NotificationResponse as a subscriber got it. */
export interface ReceivedNotification {
  /** The message bytes it was handed. */
  bytes: Buffer
  /** The channel it was handed along with them. */
  channel: string
  processId: number
  payload: string
}

/** A subscriber recording every notification, decoded and as bytes. */
export class ProbeSubscriber implements NotificationSubscriber {
  readonly got: ReceivedNotification[] = []

  constructor(readonly name = 'subscriber') {}

  onNotification(message: Buffer, channel: string): void {
    const nul = message.indexOf(0, 9)
    const payload = message.toString('utf8', nul + 1, message.length - 1)
    this.got.push({ bytes: message, channel, processId: message.readInt32BE(5), payload })
    notifyChange()
  }

  /** `channel:payload` of each notification, in order. */
  seen(): string[] {
    return this.got.map((n) => `${n.channel}:${n.payload}`)
  }
}

/** The outcome of one listen(): settled once its callback ran. */
export class ListenOutcome {
  settled = false
  /** The callback ran synchronously, inside listen(). */
  synchronous = false
  error?: GatewayError

  constructor(listener: NotificationListener, channel: string, subscriber: NotificationSubscriber) {
    let inside = true
    listener.listen(channel, subscriber, (error) => {
      this.settled = true
      this.synchronous = inside
      this.error = error
      notifyChange()
    })
    inside = false
  }

  /** Waits for the callback; resolves with its error, if any. */
  async result(what = 'a listen() to be answered'): Promise<GatewayError | undefined> {
    await until(() => this.settled, what)
    return this.error
  }
}

/** Listens and waits for the answer; throws the error, if any. */
export async function listened(
  listener: NotificationListener,
  channel: string,
  subscriber: NotificationSubscriber,
): Promise<void> {
  const error = await new ListenOutcome(listener, channel, subscriber).result(`LISTEN ${channel}`)
  if (error !== undefined) throw error
}
