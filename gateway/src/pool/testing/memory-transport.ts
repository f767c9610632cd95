/**
 * A byte pipe in memory between the gateway (a {@link ServerTransport}, what a net.Socket offers) and a
 * fake server. It behaves as a socket does where the gateway can tell: 'connect' comes on a later turn
 * of the event loop, every write arrives on the other side asynchronously and in order, a close arrives
 * after the data sent before it, and a paused side buffers until resumed. Nothing is delivered
 * re-entrantly, so the gateway's code runs in the same order as over TCP.
 * @module
 */
import { EventEmitter } from 'node:events'
import type { ServerTransport } from '../server-connector.js'
import { notifyChange } from './until.js'

/** What travels one way: bytes, or the end of the stream (with the error that ended it, if any). */
type Delivery = Buffer | { end: true; error?: Error }

/**
 * One direction's queue. Deliveries wait for a later turn of the event loop (setImmediate, as socket
 * reads do), and stay queued while the reader is paused; the end is delivered after every byte before it.
 */
class Inbox {
  paused = false
  /** The end was delivered: nothing more will be. */
  ended = false
  private items: Delivery[] = []
  private scheduled = false

  constructor(
    private readonly onBytes: (bytes: Buffer) => void,
    private readonly onEnd: (error?: Error) => void,
  ) {}

  push(item: Delivery): void {
    if (this.ended) return
    this.items.push(item)
    this.schedule()
  }

  /** Forgets everything not yet delivered (the reader destroyed its side). */
  drop(): void {
    this.items = []
  }

  resume(): void {
    this.paused = false
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.items.length === 0) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    // Re-checked after each delivery: the reader may pause itself from inside its handler.
    while (!this.paused && !this.ended && this.items.length > 0) {
      const item = this.items.shift()!
      if (Buffer.isBuffer(item)) this.onBytes(item)
      else {
        this.ended = true
        this.onEnd(item.error)
      }
      notifyChange()
    }
  }
}

/** How a pipe opens. `refuse`: fail as a refused TCP connection would ('error', then 'close'). */
export interface PipeOptions {
  refuse?: boolean
}

/** A connected pair: `gatewaySide` for a ServerConnection, `serverSide` for a fake server. */
export class MemoryPipe {
  readonly serverSide = new ServerEnd()
  readonly gatewaySide: MemorySocket

  constructor(options: PipeOptions = {}) {
    this.gatewaySide = new MemorySocket(this.serverSide, options)
  }
}

/** The fake server's end of a {@link MemoryPipe}. */
export class ServerEnd {
  /** Bytes the gateway sent arrive here; set by the server before the gateway's first write. */
  onData: (bytes: Buffer) => void = () => {}
  /** The gateway closed or destroyed its side (after every byte it sent before that). */
  onClose: () => void = () => {}
  /** This side closed: nothing more is sent. */
  closed = false
  /** The gateway ended or destroyed its side; this side may still close (and the gateway hears it). */
  peerEnded = false
  /** Bytes sent to the gateway. */
  bytesWritten = 0
  /** Set by the socket it is paired with. */
  peer?: MemorySocket
  private readonly inbox = new Inbox(
    (bytes) => this.onData(bytes),
    () => {
      this.peerEnded = true
      this.onClose()
    },
  )

  /** Sends bytes to the gateway. Ignored once either side closed. */
  write(bytes: Buffer): void {
    if (this.closed) return
    this.bytesWritten += bytes.length
    this.peer?.deliver(Buffer.from(bytes))
  }

  /** Closes the pipe (a FIN after the bytes already written). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.peer?.deliver({ end: true })
  }

  /** Breaks the pipe: the gateway gets 'error' (as ECONNRESET) then 'close'. */
  abort(message = 'read ECONNRESET (memory)'): void {
    if (this.closed) return
    this.closed = true
    this.peer?.deliver({ end: true, error: new Error(message) })
  }

  /** From the paired socket: bytes or the end of its stream. */
  deliver(item: Delivery): void {
    this.inbox.push(item)
  }
}

/** The gateway's side: an EventEmitter with the part of net.Socket's surface the gateway uses. */
export class MemorySocket extends EventEmitter implements ServerTransport {
  destroyed = false
  /** Bytes the gateway wrote (login included). */
  bytesWritten = 0
  private readonly inbox = new Inbox(
    (bytes) => this.emit('data', bytes),
    (error) => this.onPeerEnd(error),
  )
  private closeEmitted = false

  constructor(
    private readonly server: ServerEnd,
    options: PipeOptions = {},
  ) {
    super()
    server.peer = this
    // Never synchronously: the opener attaches its listeners after open() returns, as with net.connect.
    setImmediate(() => {
      if (options.refuse) this.onPeerEnd(new Error('connect ECONNREFUSED (memory)'))
      else if (!this.destroyed) this.emit('connect')
      notifyChange()
    })
  }

  write(bytes: Buffer): boolean {
    if (this.destroyed) return false
    this.bytesWritten += bytes.length
    // A copy: the caller may reuse its buffer once write returns, as it may with a socket.
    this.server.deliver(Buffer.from(bytes))
    return true
  }

  end(bytes?: Buffer): this {
    if (bytes !== undefined) this.write(bytes)
    if (!this.destroyed) this.server.deliver({ end: true })
    return this
  }

  destroy(): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.inbox.drop()
    this.server.deliver({ end: true })
    setImmediate(() => this.emitClose()) // a destroyed socket says 'close' on a later turn
    return this
  }

  pause(): this {
    this.inbox.paused = true
    return this
  }

  resume(): this {
    this.inbox.resume()
    return this
  }

  /** From the server end: bytes or the end of its stream. */
  deliver(item: Delivery): void {
    if (!this.destroyed) this.inbox.push(item)
  }

  private onPeerEnd(error?: Error): void {
    if (error !== undefined && !this.destroyed) this.emit('error', error)
    this.destroyed = true
    this.emitClose()
  }

  private emitClose(): void {
    if (this.closeEmitted) return
    this.closeEmitted = true
    this.emit('close')
    notifyChange()
  }
}
