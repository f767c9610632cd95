/**
 * The HTTP transport: Neon-compatible `POST /sql` over `fetch`, plus Skiff's routing headers.
 * Speaks the contract itself (no `@neondatabase/serverless` inside): the request is one JSON body and
 * the answer one JSON document, so a few dozen lines replace a bundled node-postgres.
 * @see ../../README.md (Client SDK)
 * @module
 */
import { errorFromFields, SkiffError } from './errors.js'

/** Where and how to send HTTP requests. */
export interface HttpConfig {
  /** The gateway's base URL, e.g. `https://gw.example:8443` (`/sql` is appended). */
  url: string
  fetch?: typeof fetch
}

/** A raw answer of `/sql`. */
export interface HttpAnswer {
  status: number
  headers: Headers
  json: unknown
}

/** The `/sql` endpoint of a base URL (a URL already ending in /sql is kept). */
export function sqlEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '')
  return base.endsWith('/sql') ? base : `${base}/sql`
}

/**
 * Sends one `/sql` request and returns the status, headers and parsed JSON; throws a SkiffError only
 * when the gateway cannot be reached (`SKIFF_UNREACHABLE`) or answers something that is not JSON.
 * The edge cache wraps this.
 */
export async function httpQuery(
  config: HttpConfig,
  body: unknown,
  headers: Record<string, string>,
): Promise<HttpAnswer> {
  const doFetch = config.fetch ?? globalThis.fetch
  let res: Response
  try {
    // Called on globalThis: Workers and browsers throw "Illegal invocation" for a detached `fetch`.
    res = await doFetch.call(globalThis, sqlEndpoint(config.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  } catch (err) {
    throw new SkiffError(
      `cannot reach the gateway at ${config.url}: ${(err as Error)?.message ?? err}`,
      {
        code: 'SKIFF_UNREACHABLE',
      },
      { cause: err },
    )
  }
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    if (res.status === 413) json = {}
    else
      throw new SkiffError(`the gateway answered HTTP ${res.status} without JSON`, {
        code: 'SKIFF_BAD_RESPONSE',
        status: res.status,
      })
  }
  return { status: res.status, headers: res.headers, json }
}

const STATUS_CODES: Record<number, string> = { 413: 'SKIFF_BODY_TOO_LARGE', 507: 'SKIFF_RESPONSE_TOO_LARGE' }

/** The SkiffError of a failed answer: Postgres's fields on a 400, a SKIFF_* code for 413/507. */
export function errorOfAnswer(answer: HttpAnswer): SkiffError {
  const body = (typeof answer.json === 'object' && answer.json !== null ? answer.json : {}) as Record<
    string,
    unknown
  >
  const code = STATUS_CODES[answer.status]
  if (code === undefined && answer.status !== 400 && typeof body.code !== 'string')
    return errorFromFields(body, answer.status, 'SKIFF_BAD_RESPONSE')
  return errorFromFields(body, answer.status, code)
}
