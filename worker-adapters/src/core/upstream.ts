/**
 * Talking to Skiff: the `/sql` request forwarded with the caller's Neon-* and Skiff-* routing headers,
 * and `GET /versions` with the caller's credentials.
 * @module
 */
import type { EdgeConfig } from './config.js'
import { errorResponse } from './responses.js'

/** Request headers passed on to Skiff (the `Skiff-Cache-*` ones are the edge's own). */
function forwarded(name: string): boolean {
  const n = name.toLowerCase()
  if (n.startsWith('skiff-cache')) return false
  return n.startsWith('neon-') || n.startsWith('skiff-') || n === 'authorization' || n === 'content-type'
}

/** The headers of `request` Skiff should see. */
export function upstreamHeaders(headers: Headers): Headers {
  const out = new Headers()
  headers.forEach((v, k) => {
    if (forwarded(k)) out.set(k, v)
  })
  return out
}

/** Response headers worth keeping and returning (content type, Skiff's). */
export function keptResponseHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = []
  headers.forEach((v, k) => {
    if (k === 'content-type' || k.startsWith('skiff-')) out.push([k, v])
  })
  return out
}

/** Sends the body to `SKIFF_URL/sql`; a network failure becomes a 502 with SQLSTATE 08006. */
export async function postSql(
  config: EdgeConfig,
  fetcher: typeof fetch,
  headers: Headers,
  body: string,
): Promise<Response> {
  try {
    return await fetcher(`${config.url}/sql`, { method: 'POST', headers: upstreamHeaders(headers), body })
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    return errorResponse(502, `Skiff is unreachable at ${config.url}: ${why}`, '08006')
  }
}

/** `GET /versions?tables=…` with the caller's credentials; throws unless 200 with a versions map. */
export async function getVersions(
  config: EdgeConfig,
  fetcher: typeof fetch,
  tables: string[],
  headers: Headers,
): Promise<Record<string, number>> {
  const auth = new Headers()
  for (const h of ['Neon-Connection-String', 'Authorization']) {
    const v = headers.get(h)
    if (v !== null) auth.set(h, v)
  }
  // Each name percent-encoded as in Skiff-Tables, then the list encoded once more for the URL.
  const list = tables.map(encodeURIComponent).join(',')
  const url = `${config.url}/versions?tables=${encodeURIComponent(list)}`
  const res = await fetcher(url, { headers: auth })
  if (res.status !== 200) throw new Error(`GET /versions answered ${res.status}`)
  const json = (await res.json()) as { versions?: Record<string, number> }
  if (json.versions === undefined || typeof json.versions !== 'object')
    throw new Error('GET /versions answered without a versions map')
  return json.versions
}
