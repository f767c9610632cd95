/**
 * How the gateway reaches a server: open a byte pipe (TCP, upgraded to TLS with server_tls), log in, hand back a
 * ServerConnection; and send a CancelRequest on a fresh pipe. One replaceable piece, so tests can put
 * an in-memory server (or one that injects faults) behind a real pool.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */
import net from 'node:net'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { serializeCancelRequest } from '../protocol/frontend.js'
import { describeAddress, type ServerAddress, type ServerLogin } from './server-address.js'
import { ServerConnection } from './server-conn.js'
import { ServerStartup } from './server-startup.js'
import { negotiateServerTls, type ServerTls } from './server-tls.js'

/** The byte pipe under a server connection: what a net.Socket offers, and an in-memory fake can. */
export interface ServerTransport {
  write(bytes: Buffer): unknown
  /** Sends the last bytes and closes. */
  end(): unknown
  end(bytes: Buffer): unknown
  destroy(): unknown
  pause(): unknown
  resume(): unknown
  readonly destroyed: boolean
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  on(event: 'close' | 'connect', listener: () => void): unknown
  removeAllListeners(event?: string): unknown
  /** Lets the process exit while the pipe is open (a net.Socket can; an in-memory pipe holds nothing). */
  unref?(): unknown
}

/** Opens a pipe to `address`; it emits 'connect' once open. */
export type OpenTransport = (address: ServerAddress) => ServerTransport

/** What a pool needs to reach its server. */
export interface ServerConnector {
  /** Opens a pipe and logs in; rejects with a GatewayError naming the server on any failure. */
  connect(address: ServerAddress, login: ServerLogin): Promise<ServerConnection>
  /**
   * Asks the server to cancel what backend `processId` runs (a CancelRequest on a new pipe); `done`
   * hears when the server closed that pipe (it has signalled the backend by then) or it failed.
   */
  cancel(address: ServerAddress, processId: number, secretKey: number, done?: () => void): void
}

/** How long a CancelRequest's pipe may stay open. */
const CANCEL_TIMEOUT_MS = 5000

/** Plain TCP, Nagle off (the gateway writes whole messages). */
export const openTcp: OpenTransport = (address) =>
  net.connect({ host: address.host, port: address.port, noDelay: true })

/** Logs in over pipes that `open` makes: TCP by default, in-memory in tests. */
export class StreamConnector implements ServerConnector {
  constructor(private readonly open: OpenTransport = openTcp) {}

  connect(address: ServerAddress, login: ServerLogin): Promise<ServerConnection> {
    return new Promise((resolve, reject) => {
      let transport = this.open(address)
      const fail = (err: GatewayError) => {
        clearTimeout(timer)
        transport.destroy()
        reject(err)
      }
      const timer = setTimeout(() => {
        fail(unavailable(address, `no answer within connect_timeout (${login.connectTimeout} ms)`))
      }, login.connectTimeout)
      /** Makes `pipe` the one the login runs on: its failures fail the connect. */
      const watch = (pipe: ServerTransport) => {
        transport = pipe
        pipe.on('error', (err) => fail(unavailable(address, err.message)))
        pipe.on('close', () => fail(unavailable(address, 'the server closed the connection during login')))
      }
      const logIn = (pipe: ServerTransport) =>
        this.logIn(address, login, pipe, fail, (conn) => {
          clearTimeout(timer)
          resolve(conn)
        })
      watch(transport)
      transport.on('connect', () => {
        if (login.tls === undefined) return logIn(transport)
        upgradeToTls(transport, address, login.tls, fail, (secure) => {
          watch(secure)
          logIn(secure)
        })
      })
    })
  }

  /** Sends the StartupMessage on `pipe` (open, TLS done if asked) and runs the login to ReadyForQuery. */
  private logIn(
    address: ServerAddress,
    login: ServerLogin,
    pipe: ServerTransport,
    fail: (err: GatewayError) => void,
    done: (conn: ServerConnection) => void,
  ): void {
    const conn = new ServerConnection(address, pipe, this)
    const startup = new ServerStartup(address, login)
    pipe.on('data', (chunk) => {
      try {
        if (!conn.feedStartup(startup, chunk)) return
      } catch (err) {
        return fail(err instanceof GatewayError ? err : unavailable(address, String(err)))
      }
      conn.beginService()
      done(conn)
    })
    pipe.write(startup.startupMessage())
  }

  cancel(address: ServerAddress, processId: number, secretKey: number, done?: () => void): void {
    const pipe = this.open(address)
    const timer = setTimeout(() => pipe.destroy(), CANCEL_TIMEOUT_MS)
    pipe.on('connect', () => pipe.end(serializeCancelRequest(processId, secretKey)))
    pipe.on('error', (err) => log.warn('cancel request failed', { server: processId, error: err.message }))
    pipe.on('close', () => {
      clearTimeout(timer)
      done?.()
    })
  }
}

/**
 * Runs the SSLRequest exchange on `plain` and hands over the TLS socket; the plain socket is only its
 * carrier from then on, so its own error and close events no longer count.
 */
function upgradeToTls(
  plain: ServerTransport,
  address: ServerAddress,
  options: ServerTls,
  fail: (err: GatewayError) => void,
  ready: (secure: ServerTransport) => void,
): void {
  if (!(plain instanceof net.Socket)) return fail(unavailable(address, 'server_tls needs a TCP connection'))
  const failed = (reason: string) => fail(unavailable(address, reason))
  negotiateServerTls(plain, address.host, options, failed, (secure) => {
    plain
      .removeAllListeners('error')
      .removeAllListeners('close')
      .on('error', () => {})
    ready(secure)
  })
}

/** The connector of a gateway that has not been given another. */
export const defaultConnector: ServerConnector = new StreamConnector()

function unavailable(address: ServerAddress, reason: string): GatewayError {
  return new GatewayError(
    'SERVER_UNAVAILABLE',
    `could not connect to server ${describeAddress(address)}: ${reason}`,
    {
      hint: 'check that the server is up and that shards.*.servers in the config names the right host and port',
    },
  )
}
