/**
 * prom-client's default metrics (process CPU, memory, file descriptors, event loop lag, GC, Node.js
 * heap) in one registry for the whole process: they describe the process, which every gateway in it
 * shares, and collecting them twice would start two GC observers. Made on the first scrape.
 * @see https://github.com/siimon/prom-client#default-metrics
 * @module
 */
import { collectDefaultMetrics, Registry } from 'prom-client'

let shared: Registry | undefined

/** The process metrics' registry, made (and its collectors started) on first use. */
export function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry()
    collectDefaultMetrics({ register: shared })
  }
  return shared
}
