/**
 * The `[general]` table: listener, timeouts, admin credentials and process-wide settings.
 * Key names, units and defaults follow PgCat so an existing pgcat.toml loads unchanged.
 */
import { z } from 'zod'
import { generalAuthQueryShape } from './schema-auth-query.js'
import { authTypeSchema, countSchema, later, msSchema } from './schema-common.js'
import { generalCompatShape } from './schema-general-compat.js'

/** Prefix for keys PgCat does not have. */
const SKIFF = 'Skiff addition (not in PgCat):'

/** Schema of the `[general]` table. */
export const generalSchema = z.object(
  {
    host: z
      .string()
      .min(1)
      .default('0.0.0.0')
      .describe('Address to listen on for clients; "0.0.0.0" means all interfaces.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(6432)
      .describe(
        'TCP port to listen on for clients (PgBouncer uses the same default). 0 picks a free port (for tests).',
      ),
    connect_timeout: msSchema()
      .default(1000)
      .describe(
        'Milliseconds allowed to open a new server connection (TCP connect, startup and authentication).',
      ),
    idle_timeout: msSchema()
      .default(30000)
      .describe('Milliseconds a server connection may sit unused in the pool before it is closed.'),
    server_lifetime: msSchema()
      .default(86400000)
      .describe(
        'Milliseconds after which a server connection is closed once it is next idle, however busy it has been.',
      ),
    idle_client_in_transaction_timeout: msSchema()
      .default(0)
      .describe(
        'Milliseconds a client may stay idle inside an open transaction before it is disconnected; 0 disables.',
      ),
    healthcheck_timeout: msSchema()
      .default(1000)
      .describe('Milliseconds a health check may take before the server counts as down and is banned.'),
    healthcheck_delay: msSchema()
      .default(30000)
      .describe(
        'Milliseconds a server connection can be idle and still be lent without a health check first (a check reads pg_is_in_recovery(), so it also tells a primary from a standby).',
      ),
    healthcheck_interval: msSchema()
      .default(2000)
      .describe(
        'Beyond PgCat: milliseconds between background checks of every server of a pool with replicas (pg_is_in_recovery(), WAL positions and replay lag), which find a promoted primary, a demoted one and lagging replicas. 0 turns them off.',
      ),
    shutdown_timeout: msSchema()
      .default(60000)
      .describe(
        'Milliseconds clients get after SIGINT or SIGTERM to finish the transactions they are in; each client is closed (FATAL 57P01) as soon as it is between transactions, and whoever is left when this passes is closed too.',
      ),
    ban_time: countSchema()
      .default(60)
      .describe(
        'Seconds a server that failed a health check or a connect is left out of routing; it is checked again before it serves once the ban ends. 0 turns bans off.',
      ),
    log_client_connections: z.boolean().default(false).describe('Log each client connection.'),
    log_client_disconnections: z.boolean().default(false).describe('Log each client disconnection.'),
    log_level: z
      .enum(['debug', 'info', 'warn', 'error'])
      .default('info')
      .describe(
        `${SKIFF} lowest level logged: "debug", "info", "warn" or "error". The environment variable SKIFF_LOG_LEVEL, when set to one of these, wins.`,
      ),
    log_format: z
      .enum(['auto', 'json', 'text'])
      .default('auto')
      .describe(
        `${SKIFF} how log lines (on stderr) are written: "json" (one object per line: time, level, msg, then the fields), "text" (one readable line), or "auto": text when stderr is a terminal, JSON otherwise. SKIFF_LOG_FORMAT, when set, wins.`,
      ),
    worker_threads: later(
      z.number().int().min(1).default(5),
      'Number of worker threads in PgCat; Skiff runs as a single process for now.',
    ),
    tcp_keepalives_idle: later(
      countSchema().default(5),
      'Seconds a connection may be silent before TCP keepalive probes start.',
    ),
    tls_certificate: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Path to the PEM certificate (chain) offered to clients on the TCP port. With tls_private_key, an SSLRequest is answered `S` and the connection continues over TLS (`sslmode=require` and `verify-full` work); unset, it is answered `N` and clients go on in plaintext. Read at start: a missing or invalid file stops Skiff with the key and the reason.',
      ),
    tls_private_key: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Path to the PEM private key of tls_certificate (not encrypted). Required with tls_certificate.',
      ),
    server_tls: z
      .boolean()
      .default(false)
      .describe(
        'Use TLS for connections from Skiff to the servers (pools, health checks, LISTEN): each opens with an SSLRequest and upgrades before logging in. A server that answers `N` is an error (like libpq `sslmode=require`), never a silent fallback to plaintext. Without verify_server_certificate the traffic is encrypted but the server is not authenticated. CancelRequests still go in plaintext, as libpq sent them before Postgres 17.',
      ),
    verify_server_certificate: z
      .boolean()
      .default(false)
      .describe(
        "Check each server's certificate chain and that it names the server's host (like libpq `sslmode=verify-full`); a server that fails the check is not used (the client gets SQLSTATE 08001). Needs server_tls = true.",
      ),
    server_tls_ca_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Skiff extension (PgCat has no such key): path to a PEM file of CA certificates that verify_server_certificate trusts instead of the system roots (like libpq `sslrootcert`). Unset, the roots Node.js trusts are used (plus NODE_EXTRA_CA_CERTS). Needs verify_server_certificate = true.',
      ),
    admin_username: z
      .string()
      .min(1)
      .describe(
        'User name for the admin console: database "pgcat", "pgbouncer" or "skiff" (unless a pool has that name), answered by Skiff itself with SHOW HELP, VERSION, POOLS, DATABASES, CLIENTS, SERVERS, USERS and CONFIG. Required, as in PgCat. Any other user is refused there (28000).',
      ),
    admin_password: z
      .string()
      .min(1)
      .describe(
        'Password for the admin database. Required, as in PgCat; shown as `<redacted>` by SHOW CONFIG.',
      ),
    admin_auth_type: authTypeSchema
      .default('md5')
      .describe('How the admin user authenticates: "scram-sha-256", "md5" or "trust".'),
    prepared_statements_cache_size: countSchema()
      .default(500)
      .describe(
        'Protocol-level prepared statements kept per server connection (LRU), so named statements work in transaction mode: each client statement gets a gateway-wide name and is prepared on whichever connection its transaction lands on. 0 turns this off (statements then only work in session mode). Skiff defaults to 500 where PgCat defaults to 0 (off), because modern drivers prepare by default.',
      ),
    auth_type: authTypeSchema
      .default('scram-sha-256')
      .describe(
        `${SKIFF} how clients authenticate to Skiff: "scram-sha-256", "md5" or "trust". A user can override it.`,
      ),
    query_wait_timeout: msSchema()
      .default(120000)
      .describe(
        `${SKIFF} milliseconds a client waits in the queue for a server connection before it gets an error; 0 waits forever (PgBouncer's default is 120000).`,
      ),
    query_wait_notify: msSchema()
      .default(5000)
      .describe(
        `${SKIFF} milliseconds a client waits in the queue for a server connection before it gets a NOTICE saying so (PgBouncer 1.25's name), once per wait; 0 never tells. The wait goes on until a connection frees or query_wait_timeout passes.`,
      ),
    transaction_timeout: msSchema()
      .default(0)
      .describe(
        `${SKIFF} milliseconds a client may stay in one transaction, from its first statement (a single statement outside BEGIN counts as one) to the ReadyForQuery that ends it; past that it is disconnected with FATAL 25P04, as Postgres 17's transaction_timeout does, and its server rolled back. 0: no limit (PgBouncer 1.25's name and default).`,
      ),
    max_db_connections: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        `${SKIFF} most server connections to one server for one database (a [pools.<name>] table), whatever the user: the pools of that database's users share the budget; a client whose pool could open one more waits (query_wait_timeout) until one closes, and an idle connection of another user of that database is closed to make room. 0: no limit (PgBouncer's name and default). A pool may set its own.`,
      ),
    max_user_connections: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        `${SKIFF} most server connections for one user (the name Skiff logs in to the servers with), whatever the database, shared and enforced like max_db_connections. 0: no limit (PgBouncer's name and default).`,
      ),
    max_client_conn: z
      .number()
      .int()
      .min(1)
      .default(10000)
      .describe(
        `${SKIFF} maximum number of client connections, counted from the moment they are accepted (before login too); more are refused at once with 53300 (PgBouncer's name). Lowered at start, with a warning, when the process's open-file limit could not also hold every server connection.`,
      ),
    client_login_timeout: msSchema()
      .default(60000)
      .describe(
        `${SKIFF} milliseconds a client has from connecting to finishing its login (PgBouncer's name; Postgres's authentication_timeout is 60 s); 0 waits forever. A client that has not sent a whole StartupMessage by then is closed silently, as Postgres does; one in the middle of authentication gets 57014.`,
      ),
    server_reset_query: z
      .string()
      .default('DISCARD ALL')
      .describe(
        `${SKIFF} query run on a session-mode server connection before another client reuses it; "" skips it.`,
      ),
    server_recovery_timeout: msSchema()
      .default(5000)
      .describe(
        `${SKIFF} milliseconds a server connection whose client left in the middle of a transaction, a batch or a long result has to come back to idle (its query cancelled, its replies drained, ROLLBACK) before it is closed instead of going back to the pool (PgDog's connection recovery).`,
      ),
    session_server_reuse: z
      .boolean()
      .default(true)
      .describe(
        `${SKIFF} session mode: a server connection whose session ended is reset with server_reset_query and lent to the next session (PgBouncer's session pooling). false: it is closed and every session gets a backend of its own, as a direct connection would (what loaded libraries, pg_stat_database.sessions and the temp schema see), still within pool_size.`,
      ),
    pin_session_state: z
      .boolean()
      .default(true)
      .describe(
        `${SKIFF} transaction mode: a client that leaves state on its server connection that cannot follow it to another (a temporary table, a session-level advisory lock, a WITH HOLD cursor, an SQL PREPARE, a LISTEN the gateway did not take, SET SESSION AUTHORIZATION) keeps that connection until the state is gone, then shares again. false: the state is cleaned when the transaction ends, as PgBouncer does.`,
      ),
    notification_listener: z
      .boolean()
      .default(true)
      .describe(
        `${SKIFF} transaction mode: a client's LISTEN and UNLISTEN (a lone statement between transactions) are answered by the gateway and served by one listener connection per pool on the primary of shard 0, which delivers each notification to every client listening on its channel between its transactions; it reconnects and listens again after a failure. false: LISTEN goes to the server, which pins the client (pin_session_state).`,
      ),
    application_name: z
      .string()
      .default('')
      .describe(
        `${SKIFF} application_name Skiff sends to servers when it opens connections; "" sends none, so a client that sets none reads the server's own default, as it would directly. Clients that set one get theirs on every server connection they use.`,
      ),
    ...generalAuthQueryShape,
    ...generalCompatShape,
  },
  {
    error: (issue) =>
      issue.input === undefined
        ? 'missing; add a [general] table with admin_username and admin_password'
        : undefined,
  },
)

/** Parsed `[general]` table. */
export type GeneralConfig = z.output<typeof generalSchema>
