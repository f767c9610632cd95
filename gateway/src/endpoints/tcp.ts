/**
 * The TCP endpoint: accepts sockets and hands their bytes to a client session. I/O only, including
 * the TLS upgrade after an SSLRequest when the config gives a certificate.
 * @module
 */
import net from 'node:net'
import tls from 'node:tls'
import { log } from '../log.js'
import type { ClientContext, ClientTransport } from '../session/client-context.js'
import { ClientSession } from '../session/client-session.js'

/** A listening TCP endpoint. */
export interface TcpEndpoint {
  readonly port: number
  /**
   * Closes the listener (new connections are refused) and leaves the connections open; resolves once
   * the last one has closed.
   */
  stopAccepting(): Promise<void>
  /** Closes the listener and every connection. */
  close(): Promise<void>
}

/** Where the TLS upgrade finds the certificate in service (endpoints/tls-context.ts's TlsIdentity). */
export interface TlsCredentials {
  readonly context: tls.SecureContext
}

/** The answer to an SSLRequest that the endpoint accepts: TLS follows. */
const SSL_ACCEPTED = Buffer.from('S')

/**
 * One accepted socket as a session's transport. A class rather than an object literal with closures:
 * this runs for every connection, and V8 builds a literal with a getter on its slow path (~0.4 µs).
 */
class TcpTransport implements ClientTransport {
  readonly kind = 'tcp'
  readonly session: ClientSession
  private drainHooked = false
  /** The TCP socket, or the TLS socket over it once the client asked for TLS. */
  private socket: net.Socket
  readonly startTls?: () => void

  constructor(socket: net.Socket, context: ClientContext, credentials?: TlsCredentials) {
    this.socket = socket
    // The context is read at the SSLRequest, so a certificate reloaded meanwhile serves this client.
    if (credentials !== undefined) this.startTls = () => this.upgrade(credentials.context)
    this.session = new ClientSession(context, this)
    this.listen(socket)
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.session.onData(chunk))
    socket.on('error', () => this.session.close('socket error'))
  }

  /**
   * 'S', then TLS over the same socket. Runs inside the SSLRequest's 'data' event, so the plain socket
   * delivers nothing more: any byte after the request goes to the TLS handshake, which refuses it.
   */
  private upgrade(secureContext: tls.SecureContext): void {
    const plain = this.socket
    plain.removeAllListeners('data')
    plain.write(SSL_ACCEPTED)
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext })
    this.socket = secure
    this.drainHooked = false
    this.listen(secure)
    secure.on('close', () => this.session.close('client closed the connection'))
  }

  write(bytes: Buffer): boolean {
    const flushed = this.socket.write(bytes)
    // Most clients never fill the socket buffer: listen for 'drain' only once one has.
    if (!flushed && !this.drainHooked) {
      this.drainHooked = true
      this.socket.on('drain', () => this.session.onTransportDrain())
    }
    return flushed
  }

  end(bytes?: Buffer): void {
    const socket = this.socket
    if (bytes === undefined) return void socket.destroy() // Terminate or cancel: nothing left to say
    socket.end(bytes)
    // Do not wait for a client that never reads its last bytes.
    setTimeout(() => socket.destroy(), 5000).unref()
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}` // lazy: getpeername is a syscall
  }
}

/**
 * Listens on host:port; resolves once bound. With `credentials`, an SSLRequest is answered 'S' and
 * the connection continues over TLS (with the certificate in service at that moment); without, 'N'.
 */
export function startTcpEndpoint(
  context: ClientContext,
  host: string,
  port: number,
  credentials?: TlsCredentials,
): Promise<TcpEndpoint> {
  const sockets = new Set<net.Socket>()
  // noDelay here sets TCP_NODELAY on every accepted socket, so no setNoDelay call per connection.
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    const { session } = new TcpTransport(socket, context, credentials)
    socket.on('close', () => {
      sockets.delete(socket)
      session.close('client closed the connection')
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      // After listening, an error is a failed accept (say, EMFILE): log it, never crash the gateway.
      server.on('error', (err) => log.warn('could not accept a client connection', { error: err.message }))
      const address = server.address() as net.AddressInfo
      let closed: Promise<void> | undefined
      const stopAccepting = () => {
        closed ??= new Promise<void>((done) => server.close(() => done()))
        return closed
      }
      resolve({
        port: address.port,
        stopAccepting,
        close: () => {
          const done = stopAccepting()
          for (const s of sockets) s.destroy()
          return done
        },
      })
    })
  })
}
