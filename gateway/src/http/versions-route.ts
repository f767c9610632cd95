/**
 * `GET /versions?tables=public.t,public.u` (issue 22): the current versions of the named tables of the
 * connection string's database, for an edge cache that checks at most every `version_ttl` whether its
 * entries went stale. Authenticated as `POST /sql` is: the `Neon-Connection-String` header (with the
 * password) or an API token in `Authorization: Bearer …`, checked by the same login a `/sql` request
 * makes (an in-memory session that logs in and runs nothing), so auth_type, auth_query and
 * require_api_token apply unchanged.
 * @module
 */
import type { HttpConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import { tableVersions } from '../pool/table-versions.js'
import type { ClientContext } from '../session/client-context.js'
import { qualifiedTable } from '../sql/index.js'
import { checkApiToken } from './api-tokens.js'
import { parseConnectionString } from './connection-string.js'
import { type HttpError, serverErrorBody } from './error-body.js'
import { InternalClient } from './internal-client.js'
import type { HeaderGetter } from './sql-headers.js'
import { login } from './sql-runner.js'

/** The most tables one request may name. */
const MAX_TABLES = 1000

/** What `GET /versions` answers. */
export interface VersionsBody {
  /** Each named table's version (`schema.table` as asked, `public.` added to an unqualified name). */
  readonly versions: Record<string, number>
  /** The gateway's clock (ms since the epoch) when read. */
  readonly now: number
}

/** The request's parts the route reads. */
export interface VersionsRequest {
  readonly get: HeaderGetter
  /** The `tables` query parameter, decoded once by the URL parser. */
  readonly tables: string | undefined
  readonly remoteAddress: string
}

/** Answers one `GET /versions`; GatewayErrors are thrown for the caller to map. */
export async function handleVersions(
  context: ClientContext,
  http: HttpConfig,
  req: VersionsRequest,
): Promise<{ status: 200; body: VersionsBody } | HttpError> {
  const tables = parseTables(req.tables)
  const target = parseConnectionString(req.get('Neon-Connection-String'))
  const token = checkApiToken(req.get('Authorization'), http.api_tokens, http.require_api_token, target)
  const client = new InternalClient(context, req.remoteAddress, token, 0)
  const timer = setTimeout(
    () => client.fail(new GatewayError('REQUEST_TIMEOUT', 'the login did not finish in time')),
    http.request_timeout,
  )
  try {
    const exchange = await client.send(Buffer.concat(login(target, token === undefined)), 1)
    if (exchange.error !== undefined) return serverErrorBody(exchange.error)
  } finally {
    clearTimeout(timer)
    client.close('versions read')
  }
  const lookup = context.pools.lookup(target.database, target.user)
  if (lookup.kind === 'found' && lookup.pool.tableVersions === 'off') {
    throw new GatewayError(
      'FEATURE_NOT_SUPPORTED',
      `table versions are off for database ${target.database}`,
      {
        hint: 'set [pools.<database>] table_versions = "routed" or "logical"',
      },
    )
  }
  return { status: 200, body: { versions: tableVersions.versions(target.database, tables), now: Date.now() } }
}

/** The `tables` parameter: comma-separated, each name percent-encoded as in `Skiff-Tables`. */
export function parseTables(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') {
    throw new GatewayError('BAD_REQUEST', 'GET /versions needs the tables parameter', {
      hint: 'name the tables as Skiff-Tables gives them: /versions?tables=public.t,public.u',
    })
  }
  const names = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  if (names.length > MAX_TABLES) {
    throw new GatewayError(
      'BAD_REQUEST',
      `GET /versions names ${names.length} tables (at most ${MAX_TABLES})`,
    )
  }
  return names.map((name) => {
    try {
      return qualifiedTable(decodeURIComponent(name))
    } catch {
      throw new GatewayError(
        'BAD_REQUEST',
        'a table name in the tables parameter is not percent-encoded right',
      )
    }
  })
}
