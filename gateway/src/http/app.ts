/**
 * The HTTP routes (hono): `POST /sql` and `OPTIONS /sql` in Neon's format, `GET /health` (the process is
 * up), `GET /ready` (every pool can reach its primaries) and, with metrics, `GET /metrics` (the admin's).
 * @see ../../../../shared/reference/neon-wire-contract.md §1
 * @module
 */
import type { HttpBindings } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import type { HttpConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { GatewayMetrics } from '../metrics/gateway-metrics.js'
import { type ScrapeCredentials, scrapeAllowed } from '../metrics/scrape-auth.js'
import { tableVersions } from '../pool/table-versions.js'
import type { ClientContext } from '../session/client-context.js'
import { checkApiToken } from './api-tokens.js'
import { bodyCacheFacts, CACHE_HEADERS, cacheHeaders } from './cache-headers.js'
import { parseConnectionString } from './connection-string.js'
import { gatewayErrorBody } from './error-body.js'
import { readBody } from './read-body.js'
import { parseSqlBody } from './sql-body.js'
import { batchBegin, flag, type HeaderGetter, refuseRepeatedHeaders, routingHeaders } from './sql-headers.js'
import { responseTooLarge, runSql, type SqlReply, type SqlRequest } from './sql-runner.js'
import { handleVersions } from './versions-route.js'

/** What the routes need from the gateway. */
export interface HttpServices {
  readonly context: ClientContext
  readonly http: HttpConfig
  /** Unreachable primaries (empty when ready). */
  unreachablePrimaries(): Promise<string[]>
  /** Prometheus metrics: requests are counted and `GET /metrics` answers the admin (see docs/metrics.md). */
  readonly metrics?: { readonly registry: GatewayMetrics; readonly admin: ScrapeCredentials }
}

/** Headers a browser may send to `/sql` (Neon's list, plus Deferrable and Skiff's routing headers). */
const ALLOWED_HEADERS = [
  'Authorization',
  'Neon-Connection-String',
  'Neon-Raw-Text-Output',
  'Neon-Array-Mode',
  'Neon-Pool-Opt-In',
  'Neon-Batch-Read-Only',
  'Neon-Batch-Isolation-Level',
  'Neon-Batch-Deferrable',
  'Skiff-Shard',
  'Skiff-Sharding-Key',
  'Skiff-Role',
  'Skiff-Lsn',
  // The SDK's edge-cache hints (read by the edge adapters; the gateway ignores them).
  'Skiff-Cache-Control',
  'Skiff-Cache-Tags',
]

type Env = { Bindings: HttpBindings }

/** Builds the app. */
export function createHttpApp(services: HttpServices): Hono<Env> {
  const { http } = services
  const app = new Hono<Env>()
  if (services.metrics !== undefined) serveMetrics(app, services.metrics)
  const allowAny = http.cors_allowed_origins.includes('*')
  const origin = allowAny ? '*' : http.cors_allowed_origins
  // Preflight only: a POST gets its one CORS header from sendJson, cheaper than the middleware's
  // per-response header rewriting.
  app.options(
    '/sql',
    cors({ origin, allowMethods: ['POST', 'OPTIONS'], allowHeaders: ALLOWED_HEADERS, maxAge: 86400 }),
  )
  const allowOrigin = (c: Context<Env>): string | undefined => {
    if (allowAny) return '*'
    const from = c.req.header('Origin')
    return from !== undefined && http.cors_allowed_origins.includes(from) ? from : undefined
  }
  app.options(
    '/versions',
    cors({ origin, allowMethods: ['GET', 'OPTIONS'], allowHeaders: ALLOWED_HEADERS, maxAge: 86400 }),
  )
  app.post('/sql', async (c) => {
    const { reply, cache } = await handleSql(c, services)
    const text = JSON.stringify(reply.body)
    // The row-by-row estimate stops runaway results early; this is the exact limit on what is sent.
    if (reply.status === 200 && Buffer.byteLength(text) > http.max_response_bytes)
      throw responseTooLarge(http.max_response_bytes)
    const lsn = reply.status === 200 ? reply.lsn : undefined // an error wrote nothing to read back
    return sendJson(c, reply.status, text, allowOrigin(c), lsn, cache)
  })
  app.get('/versions', async (c) => {
    refuseRepeatedHeaders(c.env.incoming.rawHeaders)
    const get: HeaderGetter = (name) => c.req.header(name)
    const req = { get, tables: c.req.query('tables'), remoteAddress: remoteAddress(c) }
    const reply = await handleVersions(services.context, http, req)
    return sendJson(c, reply.status, JSON.stringify(reply.body), allowOrigin(c))
  })
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/ready', async (c) => {
    const down = await services.unreachablePrimaries()
    return down.length === 0
      ? c.json({ status: 'ready' })
      : c.json({ status: 'unavailable', unreachable: down }, 503)
  })
  app.notFound((c) =>
    sendError(
      c,
      new GatewayError('BAD_REQUEST', `no route for ${c.req.method} ${c.req.path}`, {
        hint: 'use POST /sql',
      }),
      404,
    ),
  )
  app.onError((err, c) => sendError(c, err, undefined, allowOrigin(c)))
  return app
}

/** Counts and times every request (by route and status class) and serves `GET /metrics` to the admin. */
function serveMetrics(app: Hono<Env>, metrics: NonNullable<HttpServices['metrics']>): void {
  const { registry, admin } = metrics
  app.use(async (c, next) => {
    const start = performance.now()
    await next()
    registry.http.observe(c.req.path, c.req.method, c.res.status, (performance.now() - start) / 1000)
  })
  app.get('/metrics', async (c) => {
    if (!scrapeAllowed(c.req.header('Authorization'), admin))
      return c.text(
        'the metrics are for the admin user: send HTTP Basic auth (general.admin_username)\n',
        401,
        {
          'WWW-Authenticate': 'Basic realm="skiff metrics", charset="UTF-8"',
        },
      )
    return c.body(await registry.text(), 200, { 'Content-Type': registry.contentType })
  })
}

/** A `/sql` reply and its cache headers (README "Table versions and cache headers"). */
interface SqlOutcome {
  reply: SqlReply
  cache: Record<string, string> | undefined
}

async function handleSql(c: Context<Env>, services: HttpServices): Promise<SqlOutcome> {
  refuseRepeatedHeaders(c.env.incoming.rawHeaders)
  const get: HeaderGetter = (name) => c.req.header(name)
  const target = parseConnectionString(get('Neon-Connection-String'))
  const { http, context } = services
  const preAuthenticated = checkApiToken(
    get('Authorization'),
    http.api_tokens,
    http.require_api_token,
    target,
  )
  const lookup = context.pools.lookup(target.database, target.user)
  const trusted = lookup.kind === 'found' && lookup.pool.authMethod === 'trust'
  if (preAuthenticated === undefined && target.password === undefined && !trusted) {
    throw new GatewayError(
      'AUTH_REJECTED',
      'missing authentication credentials: the connection string has no password',
      {
        hint: 'put the password in the connection string, or send Authorization: Bearer <API token>',
      },
    )
  }
  const body = parseSqlBody(await readBody(c.env.incoming, http.max_request_body_bytes))
  const req: SqlRequest = {
    target,
    preAuthenticated,
    body,
    arrayMode: flag(get, 'Neon-Array-Mode'),
    rawText: flag(get, 'Neon-Raw-Text-Output'),
    begin: body.kind === 'batch' ? batchBegin(get) : '',
    routing: routingHeaders(get, lookup.kind === 'found' ? lookup.pool : undefined),
    remoteAddress: remoteAddress(c),
  }
  const limits = { maxResponseBytes: http.max_response_bytes, timeoutMs: http.request_timeout }
  const pool = lookup.kind === 'found' ? lookup.pool : undefined
  const facts = bodyCacheFacts(body)
  // Versions are capped at this mark: a write landing meanwhile makes the entry look older, not newer.
  const mark = tableVersions.mark
  const reply = await runSql(context, req, limits, (stop) => {
    const res = c.env.outgoing
    // 'close' before the response is written: the caller hung up, so nobody waits for the result.
    res.once('close', () => {
      if (!res.writableFinished) stop()
    })
  })
  // The session bumped what the request wrote at its last ReadyForQuery (session/routed-writes.ts).
  // The catalog is asked only for a request that ran (logged in): never for an anonymous caller.
  return { reply, cache: reply.status === 200 ? await cacheHeaders(facts, pool, mark) : undefined }
}

/**
 * Sends a JSON text (`body` already serialized) with the CORS header the origin gets, the
 * read-your-writes position (`Skiff-Lsn`) when the request has one, and the cache headers.
 */
function sendJson(
  c: Context,
  status: number,
  body: string,
  origin: string | undefined,
  lsn?: string,
  cache?: Record<string, string>,
): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (origin !== undefined) headers['Access-Control-Allow-Origin'] = origin
  if (origin !== undefined && origin !== '*') headers.Vary = 'Origin'
  const exposed: string[] = []
  if (lsn !== undefined) {
    headers['Skiff-Lsn'] = lsn
    exposed.push('Skiff-Lsn')
  }
  if (cache !== undefined) {
    Object.assign(headers, cache)
    exposed.push(...CACHE_HEADERS.filter((h) => h in cache))
  }
  if (origin !== undefined && exposed.length > 0)
    headers['Access-Control-Expose-Headers'] = exposed.join(', ')
  return c.body(body, status as 200, headers)
}

function remoteAddress(c: Context): string {
  try {
    const info = getConnInfo(c).remote
    return `${info.address}:${info.port}`
  } catch {
    return 'unknown'
  }
}

function sendError(c: Context, err: unknown, status?: number, origin?: string): Response {
  const { status: errorStatus, body } = gatewayErrorBody(err)
  if (!(err instanceof GatewayError)) log.error('internal error serving HTTP', { error: String(err) })
  return sendJson(c, status ?? errorStatus, JSON.stringify(body), origin)
}
