/**
 * A raw TCP client for sending hand-made (and malformed) protocol bytes and reading what comes back.
 * @module
 */
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { parseErrorFields } from '../../gateway/src/protocol/backend-decode.js'
import { MessageFramer } from '../../gateway/src/protocol/framer.js'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { topology } from './topology.js'

/** A decoded backend message. */
export interface RawMessage {
  code: string
  body: Buffer
}

/** A raw protocol connection; collects every message the server sends and notices close. */
export class RawSocket {
  readonly messages: RawMessage[] = []
  /** Every byte received, in order (for replies that are not framed messages, like SSLRequest's 'N'). */
  readonly received: Buffer[] = []
  closed = false
  /** When false, received bytes are kept but not framed. */
  framing = true
  private readonly framer = new MessageFramer()
  private waiters: Array<() => void> = []

  private constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk)
      if (!this.framing) return this.wake()
      this.framer.push(chunk)
      while (this.framer.next()) {
        const f = this.framer
        this.messages.push({ code: String.fromCharCode(f.code), body: f.buffer.subarray(f.start, f.end) })
      }
      this.wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
    socket.on('error', () => {})
  }

  /** What the login answered (AuthenticationOk … ReadyForQuery), once `login` has run. */
  welcome: RawMessage[] = []

  /**
   * Connects and logs in as the topology's trust user (no password exchange), with extra startup
   * parameters; `messages` then holds only what comes after the first ReadyForQuery.
   */
  static async login(port: number, params: Record<string, string> = {}): Promise<RawSocket> {
    const s = await RawSocket.connect(port)
    const { users, database } = topology()
    s.write(serializeStartupMessage({ user: users.trust.username, database, ...params }))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    s.welcome = s.messages.splice(0)
    return s
  }

  /** A raw connection over any byte stream, e.g. a WebSocket carrying wire bytes in binary frames. */
  static fromStream(stream: Duplex): RawSocket {
    return new RawSocket(stream)
  }

  static connect(port: number): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawSocket(s)))
      s.once('error', reject)
    })
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Waits until `predicate` holds (checked on every message and on close), or fails after `ms`. */
  async until(predicate: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`timed out; got ${this.messages.map((m) => m.code).join('')} closed=${this.closed}`)
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 50)
      })
    }
  }

  /** Fields of the first ErrorResponse received. */
  firstError(): Map<string, string> | undefined {
    const m = this.messages.find((x) => x.code === 'E')
    return m ? parseErrorFields(m.body, 0, m.body.length) : undefined
  }

  destroy(): void {
    this.socket.destroy()
  }
}
