/**
 * Skiff client SDK. Today: helpers to reach a Skiff gateway with any Postgres driver. The HTTP and
 * WebSocket transports for edge functions arrive with the edge endpoints.
 * @module
 */

/** Where a Skiff gateway listens and who connects. */
export interface GatewayTarget {
  host: string
  port?: number
  user: string
  password?: string
  database: string
  applicationName?: string
}

/**
 * A `postgres://` URL for a gateway, with every part percent-encoded.
 * @example gatewayUrl({ host: '127.0.0.1', user: 'app', password: 's3cret', database: 'app' })
 */
export function gatewayUrl(t: GatewayTarget): string {
  const auth =
    t.password === undefined
      ? encodeURIComponent(t.user)
      : `${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}`
  const query = t.applicationName ? `?application_name=${encodeURIComponent(t.applicationName)}` : ''
  return `postgres://${auth}@${t.host}:${t.port ?? 6432}/${encodeURIComponent(t.database)}${query}`
}

/** The fields of a Postgres error that drivers expose, as the gateway forwards them. */
export interface GatewayQueryError {
  name: string
  message: string
  code?: string
}

/** True for an error carrying a SQLSTATE `code`; works across bundles, unlike `instanceof`. */
export function isGatewayError(value: unknown): value is GatewayQueryError {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string'
}
