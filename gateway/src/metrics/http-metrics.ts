/**
 * HTTP request metrics of the HTTP listener: a counter and a duration histogram by route, method and
 * status class. Observed once per request (never per row), by the middleware in http/app.ts.
 * @module
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import { GATEWAY_METRICS, HTTP_DURATION_BUCKETS } from './definitions.js'

/** Routes named in the labels; any other path is `other`, so a scanner cannot grow the series. */
const ROUTES: ReadonlySet<string> = new Set(['/sql', '/health', '/ready', '/metrics'])
const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'OPTIONS', 'HEAD'])

/** Counts and times the HTTP listener's requests. */
export class HttpRequestMetrics {
  private readonly requests: Counter<string>
  private readonly duration: Histogram<string>

  constructor(registry: Registry) {
    const count = GATEWAY_METRICS.httpRequests
    const time = GATEWAY_METRICS.httpDuration
    this.requests = new Counter({
      name: count.name,
      help: count.help,
      labelNames: [...count.labels],
      registers: [registry],
    })
    this.duration = new Histogram({
      name: time.name,
      help: time.help,
      labelNames: [...time.labels],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    })
  }

  /** One request answered with `status` after `seconds`. */
  observe(path: string, method: string, status: number, seconds: number): void {
    const labels = {
      route: ROUTES.has(path) ? path : 'other',
      method: METHODS.has(method) ? method : 'other',
      status_class: `${Math.floor(status / 100)}xx`,
    }
    this.requests.inc(labels)
    this.duration.observe(labels, seconds)
  }
}
