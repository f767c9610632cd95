/**
 * Whether a server accepts TCP connections: what `GET /ready` reports per primary. A connect and an
 * immediate close, so readiness never takes a pooled connection or a backend slot.
 * @module
 */
import net from 'node:net'

/** Resolves true when host:port accepts a TCP connection within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
