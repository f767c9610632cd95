/**
 * The run-time parameters of a StartupMessage: which a pooled client may set (kept, normalized, applied
 * per client on every server it lands on), which are ignored, and which are refused because a shared
 * server connection could not honour them.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html (StartupMessage)
 * @module
 */
import { GatewayError } from '../errors.js'
import { IGNORED_STARTUP_PARAMETERS, normalizeStartupValue, TRACKED_PARAMETERS } from './param-sync.js'

/** Startup keys that are not run-time parameters. */
const CONNECTION_KEYS = new Set(['user', 'database'])

/**
 * Copies the tracked parameters of `params` into `kept` (fallback_application_name when no
 * application_name is given) and returns the `_pq_.` protocol options to report as unsupported
 * (NegotiateProtocolVersion). Throws a FATAL 08P01 for a parameter Skiff cannot apply per client.
 */
export function readStartupParams(params: Map<string, string>, kept: Map<string, string>): string[] {
  const ignored: string[] = []
  for (const [name, value] of params) {
    if (CONNECTION_KEYS.has(name) || IGNORED_STARTUP_PARAMETERS.has(name)) continue
    if (name.startsWith('_pq_.')) ignored.push(name)
    else if (name === 'fallback_application_name') {
      if (!params.has('application_name')) kept.set('application_name', value)
    } else if (TRACKED_PARAMETERS.has(name)) kept.set(name, normalizeStartupValue(name, value))
    else if (name === 'options' && value.trim() === '') continue
    else throw unsupportedParameter(name)
  }
  return ignored
}

function unsupportedParameter(name: string): GatewayError {
  // A startup packet may be 10,000 bytes: quote a short excerpt of the name, not all of it.
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name
  return new GatewayError('UNSUPPORTED_STARTUP_PARAMETER', `unsupported startup parameter: ${shown}`, {
    severity: 'FATAL',
    hint: `Skiff shares server connections between clients, so it applies only ${[...TRACKED_PARAMETERS].join(', ')} per client; set it with SET in each transaction, or on the role or database in Postgres`,
  })
}
