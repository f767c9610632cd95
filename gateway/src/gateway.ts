/**
 * The gateway: config, pools, the registry of logged-in clients (for cancel keys and limits) and the
 * TCP endpoint. One instance per process.
 * @module
 */
import type { Config } from './config/schema.js'
import { startTcpEndpoint, type TcpEndpoint } from './endpoints/tcp.js'
import { GatewayError } from './errors.js'
import { log } from './log.js'
import { buildPools, type PoolMap } from './pool/build-pools.js'
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

  /** Opens the TCP listener and starts pool upkeep. */
  async start(): Promise<void> {
    const { host, port } = this.config.general
    this.tcp = await startTcpEndpoint(this, host, port)
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS)
    this.timer.unref()
    this.maintain()
    log.info(`listening on ${host}:${this.tcp.port}`)
  }

  /** The TCP port actually bound (useful with port 0). */
  get port(): number {
    return this.tcp?.port ?? this.config.general.port
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
    await this.tcp?.close()
    for (const pool of this.userPools()) for (const sp of pool.serverPools()) sp.close()
  }
}
