/**
 * Runs one `/sql` request through an in-memory session: the login and the statements go out in one
 * write (StartupMessage, the password, then Parse/Bind/Describe/Execute per statement and one Sync), as
 * Neon's proxy runs them: unnamed statements, text parameters, text results. A batch is wrapped in
 * BEGIN … COMMIT inside the same Sync, and rolled back on its first error.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.4
 * @module
 */
import { serialize } from 'pg-protocol'
import { GatewayError } from '../errors.js'
import { formatLsn } from '../pool/lsn.js'
import { serializePasswordMessage, serializeStartupMessage } from '../protocol/frontend.js'
import { EmbeddedNulError } from '../protocol/writer.js'
import type { RoutingState } from '../router/route.js'
import type { ClientContext, PreAuthenticatedIdentity } from '../session/client-context.js'
import type { ConnectionTarget } from './connection-string.js'
import { type HttpError, serverErrorBody } from './error-body.js'
import { type Exchange, InternalClient } from './internal-client.js'
import { type ResultJson, resultJson } from './result-json.js'
import { copyNotAvailable, type SqlBody, type SqlQuery } from './sql-body.js'

/** A validated request, ready to run. */
export interface SqlRequest {
  target: ConnectionTarget
  /** An API token already proved the caller is this user (and database). */
  preAuthenticated: PreAuthenticatedIdentity | undefined
  body: SqlBody
  arrayMode: boolean
  rawText: boolean
  /** `BEGIN …` for a batch, from the Neon-Batch-* headers. */
  begin: string
  routing: Partial<RoutingState>
  remoteAddress: string
}

/** Limits from the `[http]` config. */
export interface SqlLimits {
  maxResponseBytes: number
  timeoutMs: number
}

/**
 * What the endpoint sends back. `lsn`: read-your-writes, the position the caller's later requests
 * send back in `Skiff-Lsn` to read what this one wrote (or what the request brought, carried on).
 */
export type SqlReply = ({ status: 200; body: ResultJson | { results: ResultJson[] } } | HttpError) & {
  lsn?: string
}

/**
 * Runs the request; GatewayErrors (timeouts, limits, a lost session) are thrown for the caller to map.
 * @param onCallerGone registers what to do if the HTTP caller disconnects first: stop the query.
 */
export async function runSql(
  context: ClientContext,
  req: SqlRequest,
  limits: SqlLimits,
  onCallerGone?: (stop: () => void) => void,
): Promise<SqlReply> {
  const client = new InternalClient(context, req.remoteAddress, req.preAuthenticated, limits.maxResponseBytes)
  Object.assign(client.session.routing, req.routing)
  const timer = setTimeout(() => stopRequest(client, timeoutError(limits.timeoutMs)), limits.timeoutMs)
  onCallerGone?.(() => stopRequest(client, callerGone()))
  try {
    // The login's ReadyForQuery, then the Sync's. Only a single statement's Execute comes right before
    // the Sync, so only there can a COPY be failed cleanly (see CopyInAnswer).
    const copyIn = req.body.kind === 'single' ? 'fail' : 'none'
    const exchange = await client.send(requestBytes(req), 2, copyIn)
    const out = await reply(client, req, exchange, limits.maxResponseBytes)
    if (out.status !== 200) return out
    const lsn = await new Promise<bigint | undefined>((r) => client.session.whenCommitKnown(r))
    return lsn === undefined ? out : { ...out, lsn: formatLsn(lsn) }
  } finally {
    clearTimeout(timer)
    client.close('HTTP request done')
  }
}

async function reply(
  client: InternalClient,
  req: SqlRequest,
  exchange: Exchange,
  maxBytes: number,
): Promise<SqlReply> {
  if (exchange.status === 'E') await client.send(serialize.query('ROLLBACK'), 1)
  if (exchange.copy) throw copyNotAvailable()
  if (exchange.tooLarge) throw responseTooLarge(maxBytes)
  if (exchange.error !== undefined) return serverErrorBody(exchange.error)
  const json = (q: SqlQuery, i: number) =>
    resultJson(exchange.results[i]!, q.arrayMode ?? req.arrayMode, req.rawText)
  if (req.body.kind === 'single') return { status: 200, body: json(req.body.query, 0) }
  // results[0] is BEGIN's and the last one COMMIT's.
  return { status: 200, body: { results: req.body.queries.map((q, i) => json(q, i + 1)) } }
}

/** StartupMessage, PasswordMessage, the statements and one Sync. */
function requestBytes(req: SqlRequest): Buffer {
  const parts = login(req.target, req.preAuthenticated === undefined)
  if (req.body.kind === 'single') parts.push(...statement(req.body.query))
  else {
    parts.push(...statement({ query: req.begin, params: [] }, false))
    for (const q of req.body.queries) parts.push(...statement(q))
    parts.push(...statement({ query: 'COMMIT', params: [] }, false))
  }
  parts.push(serialize.sync())
  return Buffer.concat(parts)
}

/**
 * StartupMessage and, unless a token stands in for it, PasswordMessage. parseConnectionString has
 * refused a NUL in every field; our serializers refuse one again rather than let it split a packet
 * into further fields, and that becomes a 400 here, not a 500.
 */
export function login(target: ConnectionTarget, withPassword: boolean): Buffer[] {
  try {
    const startup = serializeStartupMessage({
      ...Object.fromEntries(target.params),
      user: target.user,
      database: target.database,
    })
    return withPassword ? [startup, serializePasswordMessage(target.password ?? '')] : [startup]
  } catch (err) {
    if (!(err instanceof EmbeddedNulError)) throw err
    throw new GatewayError('BAD_REQUEST', 'the connection string holds a NUL byte')
  }
}

/** Parse, Bind (text in, text out), Describe portal (for the columns), Execute. */
function statement(q: SqlQuery, describe = true): Buffer[] {
  const parts = [serialize.parse({ text: q.query }), serialize.bind({ values: q.params })]
  if (describe) parts.push(serialize.describe({ type: 'P' }))
  parts.push(serialize.execute())
  return parts
}

/** Stops the query on the server; the session then closes and its connection is discarded if still busy. */
function stopRequest(client: InternalClient, error: GatewayError): void {
  client.session.cancelRunningQuery()
  client.fail(error)
}

function timeoutError(ms: number): GatewayError {
  return new GatewayError('REQUEST_TIMEOUT', `the request ran longer than ${ms} ms and was cancelled`, {
    hint: 'raise http.request_timeout, or make the query faster',
  })
}

function callerGone(): GatewayError {
  return new GatewayError('REQUEST_TIMEOUT', 'the HTTP caller disconnected; its query was cancelled')
}

/** The 507 error of a result past http.max_response_bytes. */
export function responseTooLarge(max: number): GatewayError {
  return new GatewayError('RESPONSE_TOO_LARGE', `response is too large (max is ${max} bytes)`, {
    hint: 'select fewer rows or columns (LIMIT), or raise http.max_response_bytes',
  })
}
