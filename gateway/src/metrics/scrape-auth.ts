/**
 * Who may read `/metrics` on the HTTP listener: the admin user, with HTTP Basic auth
 * (`general.admin_username` / `admin_password`, as for the admin console). The metrics name every
 * database, user and server host, which the HTTP listener (often facing the internet, for edge code)
 * must not show to anyone. The dedicated exporter port (`prometheus_exporter_port`) asks nothing, as
 * PgCat's does: it is meant for a private network.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config (basic_auth)
 * @module
 */
import { timingSafeEqual } from 'node:crypto'

/** The admin login a scrape must present. */
export interface ScrapeCredentials {
  readonly username: string
  readonly password: string
}

/** True when `authorization` is `Basic base64(user:password)` with the admin's user and password. */
export function scrapeAllowed(authorization: string | undefined, admin: ScrapeCredentials): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '')
  if (match === null) return false
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return false
  // Both compared in full whatever the first gives, so the time does not tell which was wrong.
  const userOk = sameText(decoded.slice(0, colon), admin.username)
  const passwordOk = sameText(decoded.slice(colon + 1), admin.password)
  return userOk && passwordOk
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  // timingSafeEqual needs equal lengths; compare b with itself so a wrong length costs the same.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length
}
