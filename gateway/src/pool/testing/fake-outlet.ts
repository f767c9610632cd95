/**
 * The sending side of a fake backend: it can hold replies back (a server busy with a long query),
 * split writes into small chunks (to exercise the gateway's framing), and counts what it sent.
 * @module
 */
import type { ServerEnd } from './memory-transport.js'

/** Writes a fake backend's replies to its pipe. */
export class ReplyOutlet {
  /** Bytes sent while serving (login replies are not counted, as the gateway does not count them). */
  bytesSent = 0
  private held?: Buffer[]

  constructor(
    private readonly pipe: ServerEnd,
    /** Largest chunk written at once; 0 writes each reply whole. */
    private readonly maxChunk: number,
  ) {}

  /** Keeps every reply back until {@link release}. */
  hold(): void {
    this.held ??= []
  }

  /** Sends the replies held back, in order, and stops holding. */
  release(): void {
    const held = this.held ?? []
    this.held = undefined
    for (const bytes of held) this.write(bytes)
  }

  /** Forgets held replies: the connection goes away before they could be sent. */
  drop(): void {
    this.held = undefined
  }

  /** Sends `bytes` (or holds them back); `serving`: counted in bytesSent. */
  send(bytes: Buffer, serving = true): void {
    if (this.held !== undefined) return void this.held.push(bytes)
    if (serving) this.bytesSent += bytes.length
    this.write(bytes)
  }

  private write(bytes: Buffer): void {
    const max = this.maxChunk
    if (max <= 0) return this.pipe.write(bytes)
    for (let at = 0; at < bytes.length; at += max) this.pipe.write(bytes.subarray(at, at + max))
  }
}
