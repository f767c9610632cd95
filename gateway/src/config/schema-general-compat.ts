/**
 * `[general]` keys that PgCat has and Skiff accepts but does not act on yet.
 * They are parsed (so a pgcat.toml loads cleanly, with a warning when one is set)
 * and documented with an honest status. Move a key to schema-general.ts when it is implemented.
 */
import { z } from 'zod'
import { countSchema, later, msSchema, portSchema } from './schema-common.js'

/** Why count/interval/user-timeout are ignored: Node's `socket.setKeepAlive` only takes the idle delay. */
const NODE_SOCKET =
  'Accepted for PgCat compatibility; Node.js cannot set this per socket, so the operating system default applies.'

/** Shape fragment merged into the `[general]` schema. */
export const generalCompatShape = {
  enable_prometheus_exporter: later(
    z.boolean().default(false),
    'Serve Prometheus metrics over HTTP. PgCat only starts the exporter when this is set to true.',
  ),
  prometheus_exporter_port: later(portSchema().default(9930), 'Port of the Prometheus exporter.'),
  autoreload: later(
    z.number().int().min(1).optional(),
    'Milliseconds between checks of the config file for changes; unset disables automatic reload.',
  ),
  tcp_keepalives_count: later(
    countSchema().default(5),
    'Unanswered keepalive probes before a connection is considered dead.',
    NODE_SOCKET,
  ),
  tcp_keepalives_interval: later(countSchema().default(5), 'Seconds between keepalive probes.', NODE_SOCKET),
  tcp_user_timeout: later(
    msSchema().default(10000),
    'Milliseconds sent data may stay unacknowledged before the connection is dropped (Linux only).',
    NODE_SOCKET,
  ),
  server_round_robin: later(
    z.boolean().default(true),
    'Pick servers in turn rather than at random (PgCat turns this on when the key is absent).',
  ),
  validate_config: later(
    z.boolean().default(true),
    'Check that the configured servers can be reached at startup.',
  ),
  auth_query: later(
    z.string().min(1).optional(),
    'Query sent to the servers to fetch a password hash for users without a password, e.g. "SELECT usename, passwd FROM pg_shadow WHERE usename=\'$1\'". Pools inherit it.',
  ),
  auth_query_user: later(
    z.string().min(1).optional(),
    'User Skiff logs in as to run auth_query. Pools inherit it.',
  ),
  auth_query_password: later(z.string().optional(), 'Password of auth_query_user. Pools inherit it.'),
  dns_cache_enabled: later(
    z.boolean().default(false),
    'Cache DNS answers for server host names and move to the new address when the answer changes.',
  ),
  dns_max_ttl: later(countSchema().default(30), 'Seconds between re-resolving cached server host names.'),
}
