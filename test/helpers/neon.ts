/**
 * Points the published `@neondatabase/serverless` driver at a test gateway: only `fetchEndpoint` and
 * `wsProxy` change (plus plain ws:// on loopback), as the driver's docs tell gateway users to do.
 * @module
 */
import { neonConfig } from '@neondatabase/serverless'
import ws from 'ws'
import type { TestGateway } from './gateway.js'

/** Global driver settings for this gateway; `pipelineConnect` as given (the driver's default: "password"). */
export function useGateway(gw: TestGateway, pipelineConnect: 'password' | false = 'password'): void {
  neonConfig.fetchEndpoint = () => `http://127.0.0.1:${gw.httpPort}/sql`
  neonConfig.webSocketConstructor = ws
  neonConfig.useSecureWebSocket = false
  neonConfig.wsProxy = () => `127.0.0.1:${gw.httpPort}/v2`
  neonConfig.pipelineConnect = pipelineConnect
}

/** A value with Buffers, Dates and class instances made comparable across module copies. */
export function canonical(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') }
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() }
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, canonical(v)])
    return { [`<${value.constructor?.name ?? 'Object'}>`]: Object.fromEntries(entries) }
  }
  return value
}
