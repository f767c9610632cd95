/**
 * The Prometheus exporter's own listener (`general.enable_prometheus_exporter`, on
 * `general.host`:`general.prometheus_exporter_port`), as PgCat's: `GET /metrics` answers the exposition
 * text, without authentication (a private network's port); anything else is 404. I/O only.
 * @module
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { log } from '../log.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'

/** A listening exporter. */
export interface MetricsEndpoint {
  readonly port: number
  /** Closes the listener and its connections. */
  close(): Promise<void>
}

/** Listens on host:port; resolves once bound. */
export function startMetricsEndpoint(
  metrics: GatewayMetrics,
  host: string,
  port: number,
): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('use GET /metrics\n')
      return
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
      (err: unknown) => {
        log.error('metrics collection failed', { error: String(err) })
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics collection failed\n')
      },
    )
  })
  // A scrape is one short request; an idle keep-alive socket must not hold the port open at stop.
  server.keepAliveTimeout = 5_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
