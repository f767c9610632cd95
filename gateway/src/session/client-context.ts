/**
 * What a client session needs from the gateway around it, and what it needs from its transport.
 * Keeping these as interfaces lets TCP and WebSocket share one session, and tests drive it in memory.
 * @module
 */
import type { GatewayError } from '../errors.js'
import type { PoolRegistry } from '../pool/pool-registry.js'
import type { AdminSources } from './admin-commands.js'
import type { PreparedRegistry } from './prepared-registry.js'

/** Gateway services a session calls. */
export interface ClientContext {
  /** The pools: looked up at login, and again for a transaction after a reload swapped them. */
  readonly pools: PoolRegistry
  /**
   * Counts a new client connection, from accept, and starts its login deadline; returns the error to
   * send before closing when max_client_conn is reached.
   */
  openConnection(target: ConnectionTarget): GatewayError | undefined
  /** The connection logged in: its login deadline no longer applies. */
  loginDone(target: ConnectionTarget): void
  /** The connection closed (exactly once per accepted connection). */
  closeConnection(target: ConnectionTarget): void
  /**
   * Registers a logged-in client and returns its cancel key: the process id given (a session-mode
   * client's server's), else one the gateway makes, above every real pid.
   */
  registerClient(session: CancelTarget, processId?: number): { processId: number; secretKey: number }
  unregisterClient(session: CancelTarget): void
  /** Forwards a CancelRequest to whatever the keyed client is running. */
  cancel(processId: number, secretKey: number): void
  /** Gateway-wide names of protocol-level prepared statements. */
  readonly preparedStatements: PreparedRegistry
  readonly logConnections: boolean
  readonly logDisconnections: boolean
  /** A shutdown is under way: clients are closed as soon as they are between transactions. */
  readonly draining: boolean
  /**
   * What the admin console reads (admin credentials, pools, clients); unset, the admin databases are
   * unknown like any other name (in-memory test contexts).
   */
  adminSources?(): AdminSources
}

/** A client connection whose login may time out, and that a shutdown closes. */
export interface ConnectionTarget {
  /** client_login_timeout passed before the login finished. */
  onLoginTimeout(): void
  /**
   * Shutdown: closes the client with FATAL 57P03 if it is not logged in, with FATAL 57P01 if it is
   * between transactions, else leaves it to finish its transaction; `force` (shutdown_timeout passed)
   * closes it whatever it does.
   */
  shutdown(force: boolean): void
}

/** A session that can be cancelled by key. */
export interface CancelTarget {
  processId: number
  secretKey: number
  cancelRunningQuery(): void
}

/** Who a front proved the client to be before its StartupMessage. */
export interface PreAuthenticatedIdentity {
  user: string
  /** Only this database, when set. */
  database?: string
}

/** The byte pipe to a client (a TCP socket, a WebSocket). */
export interface ClientTransport {
  /** Sends bytes; false asks the caller to wait for `onTransportDrain`. */
  write(bytes: Buffer): boolean
  /** Sends the last bytes, then closes. */
  end(bytes?: Buffer): void
  readonly remoteAddress: string
  /** Which front the client came through, for logs and statistics. */
  readonly kind: 'tcp' | 'websocket' | 'http'
  /**
   * A PasswordMessage the client sent before being asked for one (the Neon driver's default
   * `pipelineConnect: "password"`): 'accept' logs it in with that cleartext password, 'refuse' fails the
   * login with a hint. Unset (TCP): the bytes are read as the answer to the user's method, as Postgres does.
   */
  readonly pipelinedPassword?: 'accept' | 'refuse'
  /**
   * The front has already proven who the client is (an HTTP API token for this user, and database when
   * the token names one), so no password is asked. The login must then be for exactly that identity.
   */
  readonly preAuthenticated?: PreAuthenticatedIdentity
  /**
   * The client proved who it is: a front may now allow what only such a client may send (larger
   * frames). Called at authentication, before the welcome, because drivers pipeline their first query
   * behind the password (Neon's pipelineConnect) and Postgres reads it once the login is done.
   */
  onAuthenticated?(): void
  /**
   * Set when this front offers TLS (a TCP endpoint with a certificate): answers an SSLRequest with 'S'
   * and continues the connection over TLS. Unset, the request is answered 'N'.
   */
  startTls?(): void
}
