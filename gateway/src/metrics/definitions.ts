/**
 * Every metric Skiff exports: name, type, labels and meaning. The one truth for the registry
 * (gateway-metrics.ts builds each metric from its entry) and for docs/metrics.md (docs.ts renders it),
 * so a name cannot change in one place only. Names are stable: a dashboard may rely on them.
 * Counters end in `_total` and only grow; gauges are states read at scrape time.
 * @see https://prometheus.io/docs/practices/naming/
 * @module
 */

/** One metric: what the registry registers and the docs list. */
export interface MetricDefinition {
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly help: string
  readonly labels: readonly string[]
}

/** Labels of a (database, user) pool. */
export const POOL_LABELS = ['database', 'user'] as const
/** Labels of one server of a pool: `server` is `host:port`, `role` the configured one. */
export const SERVER_LABELS = ['database', 'user', 'shard', 'role', 'server'] as const
/** Labels of an HTTP request: bounded sets (unknown paths are `other`). */
export const HTTP_LABELS = ['route', 'method', 'status_class'] as const

const def = (
  name: string,
  type: MetricDefinition['type'],
  labels: readonly string[],
  help: string,
): MetricDefinition => ({ name, type, labels, help })

/** Metrics read from the pools and clients at scrape time (the data path pays nothing for them). */
export const POOL_METRICS = {
  clients: def(
    'skiff_pool_clients',
    'gauge',
    [...POOL_LABELS, 'state'],
    'Logged-in clients of the pool by state: active (holds a server connection, cl_active), waiting (for one, cl_waiting), idle (cl_idle).',
  ),
  maxWait: def(
    'skiff_pool_max_wait_seconds',
    'gauge',
    POOL_LABELS,
    'How long the oldest client now waiting for a server connection has waited (maxwait); 0 when none waits.',
  ),
  pinned: def(
    'skiff_pool_pinned_clients',
    'gauge',
    POOL_LABELS,
    'Clients pinned to one server connection now because of session state (transaction mode, pin_session_state).',
  ),
  pins: def(
    'skiff_pool_pins_total',
    'counter',
    POOL_LABELS,
    'Clients pinned to a server connection since start.',
  ),
} as const

/** Metrics of one server of a pool, read from its server pool at scrape time. */
export const SERVER_METRICS = {
  connections: def(
    'skiff_server_connections',
    'gauge',
    [...SERVER_LABELS, 'state'],
    'Open server connections by state: active (lent to a client, sv_active) or idle (sv_idle).',
  ),
  transactions: def(
    'skiff_server_transactions_total',
    'counter',
    SERVER_LABELS,
    'Transactions served (total_xact_count): one per checkout that ran something.',
  ),
  queries: def(
    'skiff_server_queries_total',
    'counter',
    SERVER_LABELS,
    'Queries and extended-protocol statements run (total_query_count).',
  ),
  sent: def(
    'skiff_server_sent_bytes_total',
    'counter',
    SERVER_LABELS,
    'Bytes sent to the server, the clients’ and the gateway’s own (total_sent).',
  ),
  received: def(
    'skiff_server_received_bytes_total',
    'counter',
    SERVER_LABELS,
    'Bytes received from the server (total_received).',
  ),
  xactTime: def(
    'skiff_server_transaction_seconds_total',
    'counter',
    SERVER_LABELS,
    'Time server connections were lent to clients (total_xact_time).',
  ),
  queryTime: def(
    'skiff_server_query_seconds_total',
    'counter',
    SERVER_LABELS,
    'Time the server was busy with clients’ queries: from a send to an idle server to its last ReadyForQuery (total_query_time).',
  ),
  errors: def(
    'skiff_server_errors_total',
    'counter',
    SERVER_LABELS,
    'ErrorResponses the server sent to clients.',
  ),
  prepareCacheHits: def(
    'skiff_server_prepare_cache_hits_total',
    'counter',
    SERVER_LABELS,
    'Client statements found already prepared on the server connection they ran on (prepared statements in transaction mode).',
  ),
  prepareCacheMisses: def(
    'skiff_server_prepare_cache_misses_total',
    'counter',
    SERVER_LABELS,
    'Client statements that had to be prepared on the server connection they ran on.',
  ),
  checkouts: def(
    'skiff_server_checkouts_total',
    'counter',
    SERVER_LABELS,
    'Server connections lent to clients.',
  ),
  waitTime: def(
    'skiff_server_wait_seconds_total',
    'counter',
    SERVER_LABELS,
    'Time clients waited for a server connection, summed (total_wait_time).',
  ),
  maxWait: def(
    'skiff_server_wait_max_seconds',
    'gauge',
    SERVER_LABELS,
    'Longest single wait for a server connection since start.',
  ),
  checkoutErrors: def(
    'skiff_server_checkout_errors_total',
    'counter',
    SERVER_LABELS,
    'Checkouts that failed: query_wait_timeout passed, or the server could not be reached.',
  ),
  banned: def(
    'skiff_server_banned',
    'gauge',
    SERVER_LABELS,
    '1 while the server is banned (left out of routing for ban_time), else 0.',
  ),
  bans: def('skiff_server_bans_total', 'counter', SERVER_LABELS, 'Bans of the server since start.'),
  inRecovery: def(
    'skiff_server_in_recovery',
    'gauge',
    SERVER_LABELS,
    'pg_is_in_recovery() at the last health check or monitor reading (1: standby, 0: primary); absent until one succeeded.',
  ),
  lag: def(
    'skiff_server_replica_lag_seconds',
    'gauge',
    SERVER_LABELS,
    'Replay lag of a replica at the monitor’s last reading (0 on a primary); absent without a monitor reading.',
  ),
} as const

/** Gateway-wide metrics. */
export const GATEWAY_METRICS = {
  clientConnections: def(
    'skiff_client_connections',
    'gauge',
    [],
    'Client connections open now over TCP, WebSocket and HTTP, logged in or not (what max_client_conn counts).',
  ),
  preparedStatements: def(
    'skiff_prepared_statements',
    'gauge',
    [],
    'Distinct protocol-level prepared statements the gateway knows (its gateway-wide names).',
  ),
  shapeCacheHits: def(
    'skiff_shape_cache_hits_total',
    'counter',
    [],
    'Statements classified from the statement shape cache.',
  ),
  shapeCacheMisses: def(
    'skiff_shape_cache_misses_total',
    'counter',
    [],
    'Statements classified anew (their shape was not in the cache).',
  ),
  websocketsOpen: def('skiff_websocket_connections', 'gauge', [], 'WebSocket connections open now.'),
  websocketsOpened: def(
    'skiff_websocket_connections_total',
    'counter',
    [],
    'WebSocket connections accepted since start.',
  ),
  tableVersionStreamUp: def(
    'skiff_table_version_stream_up',
    'gauge',
    ['database', 'server'],
    'Per logical replication stream of table_versions = "logical" (database, shard primary): 1 while it streams, 0 while it logs in or waits to retry (writes that bypass Skiff are then not seen; every table is bumped once it streams again).',
  ),
  tableVersionCommits: def(
    'skiff_table_version_commits_total',
    'counter',
    ['database', 'server'],
    'Transactions read from a table-version replication stream that changed published tables (each bumped their tables).',
  ),
  httpRequests: def(
    'skiff_http_requests_total',
    'counter',
    HTTP_LABELS,
    'HTTP requests answered on the HTTP listener, by route (/sql, /health, /ready, /metrics, other), method and status class (2xx, 4xx, 5xx).',
  ),
  httpDuration: def(
    'skiff_http_request_duration_seconds',
    'histogram',
    HTTP_LABELS,
    'Time from an HTTP request’s arrival to its response, by route, method and status class.',
  ),
} as const

/** Buckets of the HTTP duration histogram, in seconds (a /sql request takes from ~1 ms up). */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Every definition, in the order of docs/metrics.md. */
export const ALL_METRICS: readonly MetricDefinition[] = [
  ...Object.values(POOL_METRICS),
  ...Object.values(SERVER_METRICS),
  ...Object.values(GATEWAY_METRICS),
]
