/**
 * The limits and timeouts of one server pool, as build-pools.ts resolves them from the config.
 * @module
 */

/** Limits and timeouts of one pool, resolved from the config (ms). */
export interface ServerPoolSettings {
  poolSize: number
  minPoolSize: number
  idleTimeout: number
  serverLifetime: number
  /** 0 waits forever. */
  queryWaitTimeout: number
  /** ms a waiting client waits before it is told so with a NOTICE (query_wait_notify; 0 or unset: never). */
  queryWaitNotify?: number
  /** Capacity of each connection's prepared statement LRU. */
  preparedStatementsCacheSize: number
  /** Run before a session-mode server connection goes back to the pool ('' for none). */
  serverResetQuery: string
  /** ms a connection its client left mid-transaction, mid-batch or mid-result has to become idle. */
  recoveryTimeout: number
  /** Session mode: a connection whose session ended serves the next one (session_server_reuse). */
  sessionReuse?: boolean
  /**
   * ms a connection may sit idle and still be lent without a health check first (healthcheck_delay;
   * 0: check before every lend). Undefined: never check, as before health checks existed.
   */
  healthcheckDelay?: number
  /** ms a health check may take before the server counts as down (healthcheck_timeout; default 1000). */
  healthcheckTimeout?: number
  /** ms a failed server stays banned (ban_time, which the config gives in seconds); undefined or 0: no bans. */
  banTime?: number
  /**
   * ms between the server monitor's readings (role, WAL position, replica lag; see server-monitor.ts),
   * on a connection of its own outside pool_size; each may take healthcheckTimeout. Undefined: no monitor.
   */
  monitorInterval?: number
}
