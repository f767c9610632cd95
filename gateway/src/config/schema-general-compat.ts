/**
 * `[general]` keys that PgCat has and Skiff accepts but does not act on yet.
 * They are parsed (so a pgcat.toml loads cleanly, with a warning when one is set)
 * and documented with an honest status. Move a key to schema-general.ts when it is implemented.
 */
import { z } from 'zod'
import { countSchema, later, msSchema } from './schema-common.js'

/** Why count/interval/user-timeout are ignored: Node's `socket.setKeepAlive` only takes the idle delay. */
const NODE_SOCKET =
  'Accepted for PgCat compatibility; Node.js cannot set this per socket, so the operating system default applies.'

/** Shape fragment merged into the `[general]` schema. */
export const generalCompatShape = {
  // The Prometheus exporter is implemented (gateway/src/metrics/); its keys stay here beside PgCat's others.
  enable_prometheus_exporter: z
    .boolean()
    .default(false)
    .describe(
      'Serve Prometheus metrics (`GET /metrics`, unauthenticated, as PgCat) on their own listener at `host`:`prometheus_exporter_port`. The HTTP listener serves them too, to the admin user (docs/metrics.md).',
    ),
  prometheus_exporter_port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9930)
    .describe('Port of the Prometheus exporter (with `enable_prometheus_exporter`); 0 picks a free one.'),
  autoreload: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Milliseconds between checks of the config file for changes; when its text changed, Skiff reloads it as on SIGHUP (a file that fails validation is logged and the running config kept). Unset: reload only on SIGHUP or the admin console's RELOAD.",
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
  dns_cache_enabled: later(
    z.boolean().default(false),
    'Cache DNS answers for server host names and move to the new address when the answer changes.',
  ),
  dns_max_ttl: later(countSchema().default(30), 'Seconds between re-resolving cached server host names.'),
}
