/**
 * Reads a request body from Node's IncomingMessage with a byte cap. hono's bodyLimit and `req.text()`
 * go through a web `Request` and its streams, which cost more CPU per `/sql` request than the query's
 * own round trip through the gateway; the body here is plain bytes either way.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { GatewayError } from '../errors.js'

/** The body as UTF-8 text; rejects with REQUEST_TOO_LARGE past `maxBytes` (declared or actual). */
export function readBody(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(incoming.headers['content-length'] ?? 0)
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        incoming.removeAllListeners('data')
        incoming.resume() // drain the rest so the connection can answer 413
        return reject(tooLarge(maxBytes))
      }
      chunks.push(chunk)
    })
    incoming.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    )
    incoming.once('error', (err) =>
      reject(new GatewayError('BAD_REQUEST', `could not read the request body: ${err.message}`)),
    )
  })
}

function tooLarge(max: number): GatewayError {
  return new GatewayError('REQUEST_TOO_LARGE', `request body is too large (max is ${max} bytes)`, {
    hint: 'send fewer or smaller queries, or raise http.max_request_body_bytes',
  })
}
