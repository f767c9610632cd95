/**
 * What the edge sends back: Skiff's answer with how the cache served it (`Skiff-Cache`, `Age`) and
 * CORS for browsers, or a Neon-style error of the edge's own.
 * @module
 */

/** CORS for `/sql`: any origin (credentials travel in headers, not cookies), Skiff's headers exposed. */
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Batch-Isolation-Level, Neon-Batch-Read-Only, Neon-Batch-Deferrable, Skiff-Role, Skiff-Shard, Skiff-Sharding-Key, Skiff-Lsn, Skiff-Cache-Control, Skiff-Cache-Tags',
  'Access-Control-Expose-Headers':
    'Skiff-Lsn, Skiff-Cache, Skiff-Read-Only, Skiff-Cacheable, Skiff-Tables, Skiff-Writes, Skiff-Table-Versions',
  'Access-Control-Max-Age': '86400',
}

/** A Neon-style JSON error (`message`, `code`) with a real SQLSTATE. */
export function errorResponse(status: number, message: string, code: string): Response {
  return Response.json({ message, code, severity: 'ERROR' }, { status })
}

/** The edge answer: Skiff's status, body and kept headers, how the cache served it, and CORS. */
export function respond(
  status: number,
  text: string,
  headers: [string, string][],
  state: string,
  age?: number,
) {
  const h = new Headers(headers)
  h.set('Skiff-Cache', state)
  if (age !== undefined) h.set('Age', String(Math.max(0, Math.floor(age / 1000))))
  h.set('Access-Control-Allow-Origin', CORS_HEADERS['Access-Control-Allow-Origin'])
  h.set('Access-Control-Expose-Headers', CORS_HEADERS['Access-Control-Expose-Headers'])
  return new Response(text, { status, headers: h })
}
