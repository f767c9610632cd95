/**
 * Static bearer tokens for `/sql` (`[[http.api_tokens]]`): a caller with a valid token is logged in as
 * the token's user without a password, the way Neon's JWT mode works without one.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { ApiTokenConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import type { PreAuthenticatedIdentity } from '../session/client-context.js'
import type { ConnectionTarget } from './connection-string.js'

const digest = (text: string) => createHash('sha256').update(text).digest()

/** Digests of the configured tokens, computed once per config entry rather than per request. */
const tokenDigests = new WeakMap<ApiTokenConfig, Buffer>()
function digestOf(entry: ApiTokenConfig): Buffer {
  let d = tokenDigests.get(entry)
  if (d === undefined) {
    d = digest(entry.token)
    tokenDigests.set(entry, d)
  }
  return d
}

/**
 * Checks `Authorization`; returns the identity a token proved (its user, and its database if it names
 * one), which the session then holds the login to, or undefined when no token was sent.
 */
export function checkApiToken(
  authorization: string | undefined,
  tokens: readonly ApiTokenConfig[],
  required: boolean,
  target: ConnectionTarget,
): PreAuthenticatedIdentity | undefined {
  if (authorization === undefined) {
    if (required) throw denied('this gateway requires an API token', 'send Authorization: Bearer <token>')
    return undefined
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  if (match === null) throw denied('the Authorization header is not "Bearer <token>"')
  // Compare digests, so the comparison takes the same time whatever the lengths.
  const given = digest(match[1]!)
  const entry = tokens.find((t) => timingSafeEqual(digestOf(t), given))
  if (entry === undefined) throw denied('invalid API token')
  if (entry.username !== target.user) {
    throw denied(`the API token is not valid for user "${target.user}"`, 'use the token of that user')
  }
  if (entry.database !== undefined && entry.database !== target.database) {
    throw denied(`the API token is not valid for database "${target.database}"`)
  }
  return { user: entry.username, database: entry.database }
}

function denied(message: string, hint?: string): GatewayError {
  return new GatewayError('AUTH_REJECTED', message, { hint })
}
