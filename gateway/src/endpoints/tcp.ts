/**
 * The TCP endpoint: accepts sockets and hands their bytes to a client session. I/O only.
 * @module
 */
import net from 'node:net'
import type { ClientContext, ClientTransport } from '../session/client-context.js'
import { ClientSession } from '../session/client-session.js'

/** A listening TCP endpoint. */
export interface TcpEndpoint {
  readonly port: number
  close(): Promise<void>
}

/** Listens on host:port; resolves once bound. */
export function startTcpEndpoint(context: ClientContext, host: string, port: number): Promise<TcpEndpoint> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    const transport: ClientTransport = {
      kind: 'tcp',
      write: (bytes) => socket.write(bytes),
      end: (bytes) => {
        if (bytes === undefined) return void socket.destroy() // Terminate or cancel: nothing left to say
        socket.end(bytes)
        // Do not wait for a client that never reads its last bytes.
        setTimeout(() => socket.destroy(), 5000).unref()
      },
      get remoteAddress() {
        return `${socket.remoteAddress}:${socket.remotePort}` // lazy: getpeername is a syscall
      },
    }
    const session = new ClientSession(context, transport)
    socket.on('data', (chunk: Buffer) => session.onData(chunk))
    socket.on('drain', () => session.onTransportDrain())
    socket.on('error', () => session.close('socket error'))
    socket.on('close', () => {
      sockets.delete(socket)
      session.close('client closed the connection')
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address() as net.AddressInfo
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}
