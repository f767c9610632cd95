/**
 * A WebSocket to Skiff's WebSocket endpoint as a byte stream, the way Neon's driver uses one: each
 * write goes out as one binary frame of Postgres wire bytes, and every frame received is read as bytes.
 * It lets clients written for sockets (postgres.js, the raw protocol client of the protocol-diff
 * corpus, a CancelRequest) reach Skiff over the WebSocket front.
 * @module
 */
import { Duplex } from 'node:stream'
import WebSocket from 'ws'

/** The path the Neon driver dials by default (the endpoint accepts any path). */
export const WS_PATH = '/v2'

/**
 * A WebSocket as a Duplex. Not ws's own createWebSocketStream: that one emits no 'close' when the
 * server closes, and has no `readyState`, which postgres.js reads to decide whether to send Terminate
 * and wait for the close.
 */
export class WebSocketDuplex extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super()
    ws.on('message', (data: Buffer) => {
      if (!this.push(data)) ws.pause()
    })
    ws.on('close', () => {
      this.push(null)
      this.destroy()
    })
    // A socket error ends the stream like a close: readers notice the close, and there is no 'error'
    // event that would crash a process whose listener is not attached yet.
    ws.on('error', () => this.destroy())
  }

  /** What postgres.js reads from a net.Socket: 'open' while frames can be sent. */
  get readyState(): string {
    return this.ws.readyState === WebSocket.OPEN ? 'open' : 'closed'
  }

  override _read(): void {
    this.ws.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.ws.send(chunk, { binary: true }, done)
  }

  override _final(done: () => void): void {
    this.ws.close(1000)
    done()
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // A destroyed stream must not leave its socket open (a test that fails mid-way still ends it).
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.terminate()
    done(err)
  }
}

/** Opens a WebSocket to a gateway's HTTP port on loopback, resolved once the upgrade succeeded. */
export function openWebSocket(httpPort: number): Promise<WebSocketDuplex> {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}${WS_PATH}`)
  const stream = new WebSocketDuplex(ws)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(stream))
    ws.once('error', reject)
  })
}
