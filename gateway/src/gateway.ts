/**
 * The gateway: config, pools, the registry of logged-in clients (for cancel keys and limits), the TCP
 * endpoint and the HTTP/WebSocket endpoint. One instance per process.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { Config } from './config/schema.js'
import { type HttpEndpoint, startHttpEndpoint } from './endpoints/http.js'
import { startTcpEndpoint, type TcpEndpoint } from './endpoints/tcp.js'
import { loadTlsIdentities, TlsIdentities } from './endpoints/tls-context.js'
import { GatewayError, shutdownError } from './errors.js'
import { log } from './log.js'
import { buildPools } from './pool/build-pools.js'
import { PoolRegistry } from './pool/pool-registry.js'
import { canConnect } from './pool/reachability.js'
import type { ServerConnector } from './pool/server-connector.js'
import type { UserPool } from './pool/user-pool.js'
import type { AdminClientView, AdminSources } from './session/admin-commands.js'
import type { CancelTarget, ClientContext, ConnectionTarget } from './session/client-context.js'
import { PreparedRegistry } from './session/prepared-registry.js'
import { loadSecondOpinion } from './sql/index.js'
import { fileDescriptorLimit } from './util/fd-limit.js'
import { LoginDeadlines } from './util/login-deadlines.js'
import { ProcessIds } from './util/process-ids.js'
import { randomInt32 } from './util/random-pool.js'

/** Upkeep interval: idle/lifetime expiry and min_pool_size. */
const MAINTENANCE_INTERVAL_MS = 1000
/** The version in package.json ("unknown" where the file is not at hand, as in a bundle). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Descriptors kept for everything but clients and server connections (listeners, logs, DNS, files). */
const SPARE_DESCRIPTORS = 64
/** At the end of a shutdown, time the last client sockets get to deliver their FATAL and close. */
const CLOSE_GRACE_MS = 1000

/** A running gateway. */
export class Gateway implements ClientContext {
  readonly pools: PoolRegistry
  /** Logged-in clients by cancel key (see cancelKey). */
  readonly clients = new Map<string, CancelTarget>()
  /** Process ids the gateway made that are in use. */
  private readonly gatewayPids = new Set<number>()
  readonly preparedStatements = new PreparedRegistry()
  /** Every client connection from accept to close, logged in or not (what max_client_conn counts). */
  private connections = 0
  /** max_client_conn, lowered to fit the open-file limit (see fitClientLimit). */
  private clientLimit: number
  private readonly logins: LoginDeadlines<ConnectionTarget>
  /** Every client connection counted in `connections`, for a shutdown to close. */
  private readonly sessions = new Set<ConnectionTarget>()
  /** A shutdown is under way (see shutdown). */
  draining = false
  private admin?: AdminSources
  /** Called when the last client connection closes during a shutdown. */
  private onAllClosed?: () => void
  private tcp?: TcpEndpoint
  private http?: HttpEndpoint
  /** Client-visible process ids (see util/process-ids.ts); one worker, id 0, for now. */
  private readonly processIds = new ProcessIds(0)
  private timer?: NodeJS.Timeout
  /** The listeners' certificates; `tls.reload()` swaps in new files (see endpoints/tls-context.ts). */
  tls = new TlsIdentities(undefined, undefined)

  /** `connector`: how server connections are made (TCP unless a test gives an in-memory one). */
  constructor(
    readonly config: Config,
    connector?: ServerConnector,
  ) {
    this.pools = new PoolRegistry(buildPools(config, connector), config.general.auth_type)
    this.clientLimit = config.general.max_client_conn
    this.logins = new LoginDeadlines(config.general.client_login_timeout, (c) => c.onLoginTimeout())
  }

  get logConnections(): boolean {
    return this.config.general.log_client_connections
  }

  get logDisconnections(): boolean {
    return this.config.general.log_client_disconnections
  }

  /** Opens the listeners and starts pool upkeep. */
  async start(): Promise<void> {
    this.fitClientLimit()
    // Read/write splitting asks pgsql-ast-parser about new statement shapes: load it now, not at the
    // first client's query (≈ 0.3 s).
    if ([...this.userPools()].some((pool) => pool.hasReplicas)) loadSecondOpinion()
    const { host, port } = this.config.general
    this.tls = loadTlsIdentities(this.config) // a bad file stops the start, naming the key
    this.tcp = await startTcpEndpoint(this, host, port, this.tls.client)
    const http = this.config.http
    if (http.enabled) {
      try {
        this.http = await startHttpEndpoint(
          {
            context: this,
            http,
            unreachablePrimaries: () => this.unreachablePrimaries(),
          },
          this.tls.http,
        )
      } catch (err) {
        await this.tcp.close()
        throw err
      }
    }
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS)
    this.timer.unref()
    this.maintain()
    const tlsNote = this.tls.client === undefined ? '' : ', TLS on SSLRequest'
    log.info(`listening on ${host}:${this.tcp.port} (Postgres protocol${tlsNote})`)
    if (this.http !== undefined)
      log.info(
        `listening on ${http.host}:${this.http.port} (HTTP${this.tls.http ? 'S' : ''} /sql and WebSocket)`,
      )
  }

  /** The TCP port actually bound (useful with port 0). */
  get port(): number {
    return this.tcp?.port ?? this.config.general.port
  }

  /** The HTTP/WebSocket port actually bound, if that endpoint is enabled. */
  get httpPort(): number | undefined {
    return this.http?.port
  }

  /** `host:port` of every primary that refuses TCP connections (for `GET /ready`). */
  async unreachablePrimaries(): Promise<string[]> {
    const primaries = new Map<string, { host: string; port: number }>()
    for (const pool of this.userPools())
      for (const sp of pool.serverPools())
        if (sp.address.role === 'primary') primaries.set(`${sp.address.host}:${sp.address.port}`, sp.address)
    const checks = [...primaries].map(async ([name, a]) =>
      (await canConnect(a.host, a.port, 2000)) ? [] : [name],
    )
    return (await Promise.all(checks)).flat()
  }

  /**
   * Keeps max_client_conn within what the process can open: every client connection and every server
   * connection the pools may open is a file descriptor, and running out of them would leave the
   * gateway unable to reach its servers for the clients it already serves.
   */
  private fitClientLimit(): void {
    const limit = fileDescriptorLimit()
    if (limit === undefined) return
    let servers = 0
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) servers += sp.settings.poolSize
    const fits = Math.max(1, limit - servers - SPARE_DESCRIPTORS)
    if (fits >= this.clientLimit) return
    log.warn('max_client_conn lowered to fit the open-file limit', {
      max_client_conn: this.clientLimit,
      now: fits,
      open_file_limit: limit,
      server_connections: servers,
      hint: 'raise the limit (ulimit -n, LimitNOFILE= in systemd) to accept more clients',
    })
    this.clientLimit = fits
  }

  openConnection(target: ConnectionTarget): GatewayError | undefined {
    // A keep-alive HTTP connection may still bring a request after the listeners closed.
    if (this.draining) return shutdownError(false)
    if (this.connections >= this.clientLimit) {
      return new GatewayError(
        'TOO_MANY_CLIENTS',
        `sorry, too many clients already (max_client_conn = ${this.clientLimit})`,
        { severity: 'FATAL' },
      )
    }
    this.connections++
    this.sessions.add(target)
    this.logins.add(target)
    return undefined
  }

  loginDone(target: ConnectionTarget): void {
    this.logins.delete(target)
  }

  closeConnection(target: ConnectionTarget): void {
    this.connections--
    this.sessions.delete(target)
    this.logins.delete(target)
    if (this.sessions.size === 0) this.onAllClosed?.()
  }

  /** Client connections open now, logged in or not. */
  get connectionCount(): number {
    return this.connections
  }

  /** What the admin console reads (session/admin-commands.ts): the pools, [general] and the clients. */
  adminSources(): AdminSources {
    const clients = this.clients
    this.admin ??= {
      pools: this.pools,
      general: this.config.general,
      *clients(): Iterable<AdminClientView> {
        // Every logged-in client is a ClientSession, which has what SHOW CLIENTS reads.
        for (const c of clients.values()) if ('username' in c) yield c as unknown as AdminClientView
      },
      version: `Skiff ${packageVersion()}`,
    }
    return this.admin
  }

  registerClient(session: CancelTarget, serverProcessId?: number): { processId: number; secretKey: number } {
    // Process ids need not be unique (a session-mode client shows its server's real pid, and servers
    // on different hosts may share one): the registry is keyed by pid and secret key together.
    const processId = serverProcessId ?? this.processIds.next((id) => this.gatewayPids.has(id))
    let secretKey = randomInt32()
    while (this.clients.has(cancelKey(processId, secretKey))) secretKey = randomInt32()
    if (serverProcessId === undefined) this.gatewayPids.add(processId)
    this.clients.set(cancelKey(processId, secretKey), session)
    return { processId, secretKey }
  }

  unregisterClient(session: CancelTarget): void {
    const key = cancelKey(session.processId, session.secretKey)
    if (this.clients.get(key) !== session) return
    this.clients.delete(key)
    this.gatewayPids.delete(session.processId)
  }

  /** A logged-in client showing this process id (tests, and later the admin console). */
  clientByProcessId(processId: number): CancelTarget | undefined {
    for (const client of this.clients.values()) if (client.processId === processId) return client
    return undefined
  }

  cancel(processId: number, secretKey: number): void {
    // A wrong key is ignored silently, as Postgres does, so keys cannot be probed.
    this.clients.get(cancelKey(processId, secretKey))?.cancelRunningQuery()
  }

  /** Every (database, user) pool. */
  userPools(): Iterable<UserPool> {
    return this.pools.userPools()
  }

  private maintain(): void {
    const now = Date.now()
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) sp.maintain(now)
  }

  /**
   * Graceful shutdown: the listeners close (new connections are refused), a connection still logging
   * in is closed with FATAL 57P03, each logged-in client with FATAL 57P01 as soon as it is between
   * transactions; whoever is still in one after `timeoutMs` is
   * closed anyway. Then the server connections close.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.draining) return
    this.draining = true
    const listenersGone = Promise.all([this.tcp?.stopAccepting(), this.http?.stopAccepting()])
    const allClosed = new Promise<void>((resolve) => {
      this.onAllClosed = resolve
    })
    for (const session of [...this.sessions]) session.shutdown(false)
    if (this.sessions.size > 0) {
      log.info('waiting for clients to finish their transactions', {
        clients: this.sessions.size,
        shutdown_timeout: timeoutMs,
      })
      const timedOut = await raceTimeout(allClosed, timeoutMs)
      if (timedOut) {
        log.warn('shutdown_timeout passed: closing the clients still in a transaction', {
          clients: this.sessions.size,
        })
        for (const session of [...this.sessions]) session.shutdown(true)
      }
    }
    // Let the last FATALs reach their clients before the sockets are destroyed.
    await raceTimeout(
      listenersGone.then(() => undefined),
      CLOSE_GRACE_MS,
    )
    await this.stop()
  }

  /** Stops accepting clients, closes every client and server connection. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.logins.stop()
    await Promise.all([this.tcp?.close(), this.http?.close()])
    for (const pool of this.userPools()) pool.close()
  }
}

/** Waits for `promise` at most `ms`; true when the time ran out first. */
async function raceTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms)
  })
  try {
    return await Promise.race([promise.then(() => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The cancel registry's key: a CancelRequest must name both. */
function cancelKey(processId: number, secretKey: number): string {
  return `${processId}:${secretKey}`
}
