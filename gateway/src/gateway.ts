/**
 * The gateway: config, pools, the registry of logged-in clients (for cancel keys and limits), the TCP
 * endpoint and the HTTP/WebSocket endpoint. One instance per process.
 * @module
 */
import type { Config } from './config/schema.js'
import { type HttpEndpoint, startHttpEndpoint } from './endpoints/http.js'
import { startTcpEndpoint, type TcpEndpoint } from './endpoints/tcp.js'
import { GatewayError } from './errors.js'
import { log } from './log.js'
import { buildPools, type PoolMap } from './pool/build-pools.js'
import { canConnect } from './pool/reachability.js'
import type { UserPool } from './pool/user-pool.js'
import type { CancelTarget, ClientContext, PoolLookup } from './session/client-context.js'
import { PreparedRegistry } from './session/prepared-registry.js'
import { randomInt32 } from './util/random-pool.js'

/** Upkeep interval: idle/lifetime expiry and min_pool_size. */
const MAINTENANCE_INTERVAL_MS = 1000

/** A running gateway. */
export class Gateway implements ClientContext {
  readonly pools: PoolMap
  readonly clients = new Map<number, CancelTarget>()
  readonly preparedStatements = new PreparedRegistry()
  private tcp?: TcpEndpoint
  private http?: HttpEndpoint
  private nextProcessId = 0
  private timer?: NodeJS.Timeout

  constructor(readonly config: Config) {
    this.pools = buildPools(config)
  }

  get logConnections(): boolean {
    return this.config.general.log_client_connections
  }

  get logDisconnections(): boolean {
    return this.config.general.log_client_disconnections
  }

  /** Opens the listeners and starts pool upkeep. */
  async start(): Promise<void> {
    const { host, port } = this.config.general
    this.tcp = await startTcpEndpoint(this, host, port)
    const http = this.config.http
    if (http.enabled) {
      try {
        this.http = await startHttpEndpoint({
          context: this,
          http,
          unreachablePrimaries: () => this.unreachablePrimaries(),
        })
      } catch (err) {
        await this.tcp.close()
        throw err
      }
    }
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS)
    this.timer.unref()
    this.maintain()
    log.info(`listening on ${host}:${this.tcp.port} (Postgres protocol)`)
    if (this.http !== undefined)
      log.info(`listening on ${http.host}:${this.http.port} (HTTP /sql and WebSocket)`)
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

  findPool(database: string, username: string): PoolLookup {
    const users = this.pools.get(database)
    if (users === undefined) return { kind: 'unknown-database' }
    const pool = users.get(username)
    if (pool !== undefined) return { kind: 'found', pool }
    return { kind: 'unknown-user', authMethod: this.config.general.auth_type }
  }

  registerClient(session: CancelTarget): { processId: number; secretKey: number } | GatewayError {
    if (this.clients.size >= this.config.general.max_client_conn) {
      return new GatewayError(
        'TOO_MANY_CLIENTS',
        `sorry, too many clients already (max_client_conn = ${this.config.general.max_client_conn})`,
        { severity: 'FATAL' },
      )
    }
    // Process ids only need to be unique; the secret key is what a CancelRequest must guess.
    let processId = this.nextProcessId
    do processId = processId >= 2 ** 31 - 1 ? 1 : processId + 1
    while (this.clients.has(processId))
    this.nextProcessId = processId
    this.clients.set(processId, session)
    return { processId, secretKey: randomInt32() }
  }

  unregisterClient(session: CancelTarget): void {
    if (this.clients.get(session.processId) === session) this.clients.delete(session.processId)
  }

  cancel(processId: number, secretKey: number): void {
    const target = this.clients.get(processId)
    // A wrong key is ignored silently, as Postgres does, so keys cannot be probed.
    if (target !== undefined && target.secretKey === secretKey) target.cancelRunningQuery()
  }

  /** Every (database, user) pool. */
  *userPools(): Iterable<UserPool> {
    for (const users of this.pools.values()) yield* users.values()
  }

  private maintain(): void {
    const now = Date.now()
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) sp.maintain(now)
  }

  /** Stops accepting clients, closes every client and server connection. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.all([this.tcp?.close(), this.http?.close()])
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) sp.close()
  }
}
