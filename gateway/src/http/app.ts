/**
 * The HTTP routes (hono): `POST /sql` and `OPTIONS /sql` in Neon's format, `GET /health` (the process is
 * up) and `GET /ready` (every pool can reach its primaries).
 * @see ../../../../shared/reference/neon-wire-contract.md §1
 * @module
 */
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import type { HttpConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import type { ClientContext } from '../session/client-context.js'
import { checkApiToken } from './api-tokens.js'
import { parseConnectionString } from './connection-string.js'
import { gatewayErrorBody } from './error-body.js'
import { parseSqlBody } from './sql-body.js'
import { batchBegin, flag, type HeaderGetter, routingHeaders } from './sql-headers.js'
import { runSql, type SqlRequest } from './sql-runner.js'

/** What the routes need from the gateway. */
export interface HttpServices {
  readonly context: ClientContext
  readonly http: HttpConfig
  /** Unreachable primaries (empty when ready). */
  unreachablePrimaries(): Promise<string[]>
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
]

/** Builds the app. */
export function createHttpApp(services: HttpServices): Hono {
  const { http } = services
  const app = new Hono()
  const origin = http.cors_allowed_origins.includes('*') ? '*' : http.cors_allowed_origins
  app.use(
    '/sql',
    cors({ origin, allowMethods: ['POST', 'OPTIONS'], allowHeaders: ALLOWED_HEADERS, maxAge: 86400 }),
  )
  const tooLarge = new GatewayError(
    'REQUEST_TOO_LARGE',
    `request body is too large (max is ${http.max_request_body_bytes} bytes)`,
    {
      hint: 'send fewer or smaller queries, or raise http.max_request_body_bytes',
    },
  )
  const limit = bodyLimit({ maxSize: http.max_request_body_bytes, onError: (c) => sendError(c, tooLarge) })
  app.post('/sql', limit, (c) => handleSql(c, services))
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
  app.onError((err, c) => sendError(c, err))
  return app
}

async function handleSql(c: Context, services: HttpServices): Promise<Response> {
  const get: HeaderGetter = (name) => c.req.header(name)
  const target = parseConnectionString(get('Neon-Connection-String'))
  const { http, context } = services
  const preAuthenticated = checkApiToken(
    get('Authorization'),
    http.api_tokens,
    http.require_api_token,
    target,
  )
  if (!preAuthenticated && target.password === undefined) {
    throw new GatewayError(
      'AUTH_REJECTED',
      'missing authentication credentials: the connection string has no password',
      {
        hint: 'put the password in the connection string, or send Authorization: Bearer <API token>',
      },
    )
  }
  const body = parseSqlBody(await c.req.text())
  const lookup = context.findPool(target.database, target.user)
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
  const reply = await runSql(context, req, {
    maxResponseBytes: http.max_response_bytes,
    timeoutMs: http.request_timeout,
  })
  return c.json(reply.body, reply.status as 200)
}

function remoteAddress(c: Context): string {
  try {
    const info = getConnInfo(c).remote
    return `${info.address}:${info.port}`
  } catch {
    return 'unknown'
  }
}

function sendError(c: Context, err: unknown, status?: number): Response {
  const { status: errorStatus, body } = gatewayErrorBody(err)
  if (!(err instanceof GatewayError)) log.error('internal error serving HTTP', { error: String(err) })
  return c.json(body, (status ?? errorStatus) as 400)
}
