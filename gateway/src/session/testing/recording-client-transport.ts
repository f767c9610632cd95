/**
 * A client transport in memory: it records what a session writes to its client, framed into
 * messages, and whether the session closed it. Its write result can simulate a full socket buffer.
 * @module
 */

import { type BackendMessage, BackendReader } from '../../pool/testing/backend-summary.js'
import { notifyChange } from '../../pool/testing/until.js'
import type { ClientTransport } from '../client-context.js'

/**
 * What a ClientSession writes, as messages. Only framed messages are understood: a test that sends an
 * SSLRequest gets a lone 'N' byte back, which this does not frame.
 */
export class RecordingClientTransport implements ClientTransport {
  readonly kind = 'tcp'
  readonly remoteAddress = '127.0.0.1'
  readonly messages: BackendMessage[] = []
  /** The session closed the connection (`end`). */
  ended = false
  /** Writes (or ends) after the connection was ended: a session must never make one. */
  writesAfterEnd = 0
  /** The front was told that the login finished. */
  loggedIn = false
  /** What `write` returns: false tells the session the socket is full (backpressure). */
  accepting = true
  private readonly reader = new BackendReader()

  write(bytes: Buffer): boolean {
    this.record(bytes)
    return this.accepting
  }

  end(bytes?: Buffer): void {
    if (bytes !== undefined && bytes.length > 0) this.record(bytes)
    else if (this.ended) this.writesAfterEnd++
    this.ended = true
    notifyChange()
  }

  onAuthenticated(): void {
    this.loggedIn = true
  }

  /** Messages after the first `from`, e.g. the replies since a query was sent. */
  since(from: number): BackendMessage[] {
    return this.messages.slice(from)
  }

  private record(bytes: Buffer): void {
    if (this.ended) this.writesAfterEnd++
    this.messages.push(...this.reader.read(Buffer.from(bytes)))
    notifyChange()
  }
}
