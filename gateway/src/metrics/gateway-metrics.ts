/**
 * One gateway's metrics: its own prom-client Registry (never the global default, so several gateways
 * in one process, as in tests, keep apart), the pool/server/gateway metrics read at scrape time, the
 * HTTP request metrics and the WebSocket counters, and the exposition text of all of them with the
 * process metrics after them.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 * @module
 */
import { Registry } from 'prom-client'
import { WebSocketCounters } from './front-counters.js'
import { HttpRequestMetrics } from './http-metrics.js'
import { registerGatewayMetrics, registerPoolMetrics, registerServerMetrics } from './pool-collectors.js'
import { processRegistry } from './process-metrics.js'
import type { MetricsSources } from './sources.js'

/** What the gateway hands in: its sources without the counters this class owns. */
export type GatewayMetricsSources = Omit<MetricsSources, 'websockets'>

/** The metrics of one gateway and their exposition. */
export class GatewayMetrics {
  readonly registry = new Registry()
  /** Bumped by the WebSocket endpoint. */
  readonly websockets = new WebSocketCounters()
  /** Observed by the HTTP listener's middleware. */
  readonly http: HttpRequestMetrics

  constructor(
    sources: GatewayMetricsSources,
    /** With prom-client's default process metrics (off in unit tests that compare whole texts). */
    private readonly withProcess = true,
  ) {
    const src: MetricsSources = { ...sources, websockets: this.websockets }
    registerPoolMetrics(this.registry, src)
    registerServerMetrics(this.registry, src)
    registerGatewayMetrics(this.registry, src)
    this.http = new HttpRequestMetrics(this.registry)
  }

  /** The Content-Type of {@link GatewayMetrics.text} (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType
  }

  /** The exposition text: this gateway's metrics, then the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics()
    if (!this.withProcess) return own
    return `${own}\n${await processRegistry().metrics()}`
  }
}
