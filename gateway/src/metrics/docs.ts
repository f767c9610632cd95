/**
 * docs/metrics.md, rendered from the metric definitions (definitions.ts), so the names a dashboard
 * relies on and their documentation cannot drift apart. Written by `npm run metrics:docs`.
 * @module
 */
import { ALL_METRICS, type MetricDefinition } from './definitions.js'

const HEADER = `<!-- Generated from gateway/src/metrics/definitions.ts by \`npm run metrics:docs\`; do not edit. -->

# Metrics

Skiff serves Prometheus metrics in the text exposition format (version 0.0.4):

- on \`GET /metrics\` of the HTTP listener (\`[http]\`), to the admin user only, with HTTP Basic auth
  (\`general.admin_username\` / \`admin_password\`): the listener may face the internet and the metrics name
  every database, user and server;
- on its own port when \`general.enable_prometheus_exporter = true\`: \`http://<general.host>:<general.prometheus_exporter_port>/metrics\`
  (default port 9930), without authentication, as PgCat's exporter; keep that port on a private network.

The names below are stable. Counters end in \`_total\` and only grow (from the gateway's start; a pool
removed by a reload takes its series with it). Gauges are read when Prometheus scrapes, so the data path
pays nothing for them. Labels are bounded: \`database\` and \`user\` of a pool, and for a server \`shard\`,
\`role\` (configured: \`primary\` or \`replica\`) and \`server\` (\`host:port\`); never a client.

After these come prom-client's default process and Node.js metrics (\`process_cpu_seconds_total\`,
\`process_resident_memory_bytes\`, \`process_open_fds\`, \`nodejs_eventloop_lag_seconds\`, \`nodejs_heap_size_used_bytes\`, …).
See <https://github.com/siimon/prom-client#default-metrics>.

| name | type | labels | meaning |
| --- | --- | --- | --- |
`

function row(d: MetricDefinition): string {
  const labels = d.labels.length === 0 ? '' : d.labels.map((l) => `\`${l}\``).join(', ')
  return `| \`${d.name}\` | ${d.type} | ${labels} | ${d.help.replaceAll('|', '\\|')} |\n`
}

/** The whole of docs/metrics.md. */
export function renderMetricsReference(): string {
  return HEADER + ALL_METRICS.map(row).join('')
}
