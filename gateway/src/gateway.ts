/**
 * The gateway: config, pools, the registry of logged-in clients (for cancel keys and limits), the TCP
 * endpoint and the HTTP/WebSocket endpoint. One instance per process.
 * @module
 */
import { readFileSync } from 'node:fs'
import { CancelRegistry } from './cancel-registry.js'
import { ClientAdmission } from './client-admission.js'
import type { Config } from './config/schema.js'
import { type HttpEndpoint, startHttpEndpoint } from './endpoints/http.js'
import { type MetricsEndpoint, startMetricsEndpoint } from './endpoints/metrics.js'
import { startTcpEndpoint, type TcpEndpoint } from './endpoints/tcp.js'
import { loadTlsIdentities, TlsIdentities } from './endpoints/tls-context.js'
import type { GatewayError } from './errors.js'
import { reloadFromFile } from './gateway-reload.js'
import { configureLogging, log } from './log.js'
import { GatewayMetrics } from './metrics/gateway-metrics.js'
import { buildPools } from './pool/build-pools.js'
import { PoolLifecycle } from './pool/pool-lifecycle.js'
import { PoolRegistry } from './pool/pool-registry.js'
import { canConnect } from './pool/reachability.js'
import type { ServerConnector } from './pool/server-connector.js'
import type { UserPool } from './pool/user-pool.js'
import type { AdminActions, AdminClientView, AdminSources, ReloadOutcome } from './session/admin-commands.js'
import type { CancelTarget, ClientContext, ConnectionTarget } from './session/client-context.js'
import { PreparedRegistry } from './session/prepared-registry.js'
import { defaultShapeCache, loadSecondOpinion } from './sql/index.js'

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

/** At the end of a shutdown, time the last client sockets get to deliver their FATAL and close. */
const CLOSE_GRACE_MS = 1000

/** A running gateway. */
export class Gateway implements ClientContext {
  readonly pools: PoolRegistry
  /** Logged-in clients by cancel key. */
  readonly clients = new CancelRegistry()
  readonly preparedStatements = new PreparedRegistry()
  /** Client connections: max_client_conn, login deadlines, the set a shutdown closes. */
  private readonly admission: ClientAdmission
  /** A shutdown is under way (see shutdown). */
  draining = false
  private admin?: AdminSources
  /** Live and retired pools, their connection budgets and PAUSE/RESUME. */
  private readonly lifecycle = new PoolLifecycle(() => this.pools)
  /** The reload under way, if any: reloads run one after the other. */
  private reloading: Promise<ReloadOutcome> = Promise.resolve({ ok: true, changes: [] })
  /** The file RELOAD and SIGHUP read (set by the CLI); unset, RELOAD says there is none. */
  configFile?: string
  /** Called by the admin console's SHUTDOWN (the CLI exits when the drain ends); unset, only drains. */
  onShutdownRequest?: () => void
  private tcp?: TcpEndpoint
  private http?: HttpEndpoint
  /** The Prometheus exporter's own listener (general.enable_prometheus_exporter). */
  private exporter?: MetricsEndpoint
  private metricsInstance?: GatewayMetrics
  private timer?: NodeJS.Timeout
  /** The listeners' certificates; `tls.reload()` swaps in new files (see endpoints/tls-context.ts). */
  tls = new TlsIdentities(undefined, undefined)

  /** `connector`: how server connections are made (TCP unless a test gives an in-memory one). */
  constructor(
    /** The running config; a reload replaces it (see gateway-reload.ts). */
    public config: Config,
    private readonly connector?: ServerConnector,
  ) {
    this.pools = new PoolRegistry(
      buildPools(config, connector, this.lifecycle.budgets),
      config.general.auth_type,
    )
    this.admission = new ClientAdmission(config.general.max_client_conn, config.general.client_login_timeout)
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
            metrics: { registry: this.metrics, admin: adminLogin(this.config) },
          },
          this.tls.http,
        )
      } catch (err) {
        await this.tcp.close()
        throw err
      }
    }
    await this.startExporter()
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS)
    this.timer.unref()
    this.maintain()
    const tlsNote = this.tls.client === undefined ? '' : ', TLS on SSLRequest'
    log.info(`listening on ${host}:${this.tcp.port} (Postgres protocol${tlsNote})`)
    if (this.http !== undefined)
      log.info(
        `listening on ${http.host}:${this.http.port} (HTTP${this.tls.http ? 'S' : ''} /sql and WebSocket)`,
      )
    if (this.exporter !== undefined)
      log.info(`listening on ${host}:${this.exporter.port} (Prometheus /metrics)`)
  }

  /** This gateway's Prometheus metrics (gateway/src/metrics/), read at scrape time. */
  get metrics(): GatewayMetrics {
    this.metricsInstance ??= new GatewayMetrics({
      pools: this.pools,
      clients: () => this.adminSources().clients(),
      connectionCount: () => this.admission.count,
      preparedStatements: this.preparedStatements,
      shapeCache: defaultShapeCache,
      tableVersionStreams: () => this.lifecycle.tableVersionFeeds.all(),
    })
    return this.metricsInstance
  }

  /** Starts the exporter's listener when general.enable_prometheus_exporter says so. */
  private async startExporter(): Promise<void> {
    const { enable_prometheus_exporter: enabled, host, prometheus_exporter_port: port } = this.config.general
    if (!enabled) return
    try {
      this.exporter = await startMetricsEndpoint(this.metrics, host, port)
    } catch (err) {
      await Promise.all([this.tcp?.close(), this.http?.close()])
      throw err
    }
  }

  /** The exporter's port actually bound, if it is enabled. */
  get metricsPort(): number | undefined {
    return this.exporter?.port
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

  /** max_client_conn from the config, within the open-file limit (client-admission.ts). */
  private fitClientLimit(): void {
    let servers = 0
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) servers += sp.settings.poolSize
    this.admission.fit(this.config.general.max_client_conn, servers)
  }

  openConnection(target: ConnectionTarget): GatewayError | undefined {
    return this.admission.open(target, this.draining)
  }

  loginDone(target: ConnectionTarget): void {
    this.admission.loginDone(target)
  }

  closeConnection(target: ConnectionTarget): void {
    this.admission.close(target)
  }

  /** Client connections open now, logged in or not. */
  get connectionCount(): number {
    return this.admission.count
  }

  /** What the admin console reads (session/admin-commands.ts): the pools, [general] and the clients. */
  adminSources(): AdminSources {
    const clients = this.clients
    const gateway = this
    this.admin ??= {
      pools: this.pools,
      get general() {
        return gateway.config.general // the reloaded one after a RELOAD
      },
      *clients(): Iterable<AdminClientView> {
        // Every logged-in client is a ClientSession, which has what SHOW CLIENTS reads.
        for (const c of clients.values()) if ('username' in c) yield c as unknown as AdminClientView
      },
      version: `Skiff ${packageVersion()}`,
      actions: this.adminActions(),
      tableVersionStreams: () => this.lifecycle.tableVersionFeeds.all(),
    }
    return this.admin
  }

  private adminActions(): AdminActions {
    return {
      reload: () => this.reload(),
      pause: (database) => this.lifecycle.pause(database),
      resume: (database) => this.lifecycle.resume(database),
      isPaused: (database) => this.lifecycle.isPaused(database),
      shutdown: () => {
        if (this.onShutdownRequest !== undefined) this.onShutdownRequest()
        else void this.shutdown(this.config.general.shutdown_timeout)
      },
    }
  }

  /**
   * Re-reads {@link configFile} and applies it (gateway-reload.ts); one reload at a time. A file that
   * fails to load keeps the running config and comes back as `ok: false` with its problems.
   */
  reload(): Promise<ReloadOutcome> {
    const file = this.configFile
    if (file === undefined)
      return Promise.resolve({
        ok: false,
        errors: ['no config file to reload: Skiff was started without one'],
      })
    this.reloading = this.reloading.then(() =>
      reloadFromFile(file, {
        config: this.config,
        pools: this.pools,
        connector: this.connector,
        budgets: this.lifecycle.budgets,
        adoptConfig: (next) => this.adoptConfig(next),
        reloadTls: (next) => this.tls.reload(next),
        retire: (pools) => this.lifecycle.retire(pools),
      }),
    )
    return this.reloading
  }

  /** The settings of a reloaded config that apply to the running gateway, beyond the pools. */
  private adoptConfig(next: Config): void {
    this.config = next
    configureLogging(next.general)
    this.fitClientLimit()
    this.lifecycle.afterSwap()
    if (this.draining) for (const pool of this.userPools()) pool.close()
  }

  registerClient(session: CancelTarget, serverProcessId?: number): { processId: number; secretKey: number } {
    return this.clients.register(session, serverProcessId)
  }

  unregisterClient(session: CancelTarget): void {
    this.clients.unregister(session)
  }

  /** A logged-in client showing this process id (tests, and later the admin console). */
  clientByProcessId(processId: number): CancelTarget | undefined {
    return this.clients.byProcessId(processId)
  }

  cancel(processId: number, secretKey: number): void {
    this.clients.cancel(processId, secretKey)
  }

  /** Every (database, user) pool. */
  userPools(): Iterable<UserPool> {
    return this.pools.userPools()
  }

  private maintain(): void {
    this.lifecycle.maintain()
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
    const sessions = this.admission.sessions
    const allClosed = new Promise<void>((resolve) => {
      this.admission.onAllClosed = resolve
    })
    for (const session of [...sessions]) session.shutdown(false)
    if (sessions.size > 0) {
      log.info('waiting for clients to finish their transactions', {
        clients: sessions.size,
        shutdown_timeout: timeoutMs,
      })
      const timedOut = await raceTimeout(allClosed, timeoutMs)
      if (timedOut) {
        log.warn('shutdown_timeout passed: closing the clients still in a transaction', {
          clients: sessions.size,
        })
        for (const session of [...sessions]) session.shutdown(true)
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
    this.admission.stop()
    await Promise.all([this.tcp?.close(), this.http?.close(), this.exporter?.close()])
    this.lifecycle.closeAll()
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

/** The admin login `/metrics` on the HTTP listener asks for. */
function adminLogin(config: Config): { username: string; password: string } {
  return { username: config.general.admin_username, password: config.general.admin_password }
}
