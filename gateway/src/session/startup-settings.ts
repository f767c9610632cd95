/**
 * The run-time parameters of a StartupMessage, read as Postgres reads them: the switches of `options`
 * (`-c name=value`, `--name=value`) first, then every other parameter of the packet, the last value of
 * a name winning. Every one of them follows the client: in session mode they go to the server's own
 * StartupMessage, in transaction mode they become the client's settings, applied on each server
 * connection its transactions land on.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html (StartupMessage)
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/init/postinit.c (process_startup_options)
 * @module
 */
import { GatewayError } from '../errors.js'

/** Startup keys that are not run-time parameters, or that the gateway answers itself. */
const CONNECTION_KEYS = new Set(['user', 'database', 'options', 'fallback_application_name'])

/** What the gateway makes of a client's startup parameters. */
export interface StartupSettings {
  /** Lower-cased name → value, in the order Postgres applies them. */
  readonly settings: Map<string, string>
  /**
   * The parameters as the client sent them, minus user, database, application_name (the gateway sets
   * it per client with SET, so connections can be shared by clients naming themselves differently)
   * and `_pq_.` options: what a session-mode server connection is opened with.
   */
  readonly passThrough: ReadonlyArray<readonly [string, string]>
  /** One string per distinct passThrough ('' when empty): connections opened alike share it. */
  readonly key: string
  /** `_pq_.` protocol options, reported as unsupported (NegotiateProtocolVersion). */
  readonly protocolOptions: string[]
}

/** Reads a StartupMessage's parameters; throws a FATAL GatewayError as Postgres would refuse them. */
export function readStartupSettings(params: ReadonlyMap<string, string>): StartupSettings {
  const settings = new Map<string, string>()
  const passThrough: Array<[string, string]> = []
  const protocolOptions: string[] = []
  const options = params.get('options')
  if (options !== undefined) {
    for (const [name, value] of parseOptions(options)) settings.set(name.toLowerCase(), value)
    if (options.trim() !== '') passThrough.push(['options', options])
  }
  for (const [name, value] of params) {
    if (name.startsWith('_pq_.')) protocolOptions.push(name)
    else if (name === 'replication') throw replicationRefused()
    else if (!CONNECTION_KEYS.has(name)) {
      settings.set(name.toLowerCase(), value)
      if (name.toLowerCase() !== 'application_name') passThrough.push([name, value])
    }
  }
  const fallback = params.get('fallback_application_name')
  if (fallback !== undefined && !settings.has('application_name')) settings.set('application_name', fallback)
  const key = passThrough.map(([n, v]) => `${n}\0${v}`).join('\0')
  return { settings, passThrough, key, protocolOptions }
}

/**
 * The switches of an `options` string: split at unescaped whitespace (a backslash keeps the next
 * character), then `-c name=value`, `-cname=value` or `--name=value`, with dashes in the name read as
 * underscores. Other postgres switches are refused: they set server-wide things a client of a shared
 * server cannot own.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/init/postinit.c (pg_split_opts)
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/tcop/postgres.c (process_postgres_switches)
 */
export function parseOptions(options: string): Array<[string, string]> {
  const args = splitOptions(options)
  const out: Array<[string, string]> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    let spec: string
    let flag: string
    if (arg.startsWith('--')) {
      flag = '--'
      spec = arg.slice(2)
    } else if (arg === '-c') {
      flag = '-c '
      spec = args[++i] ?? ''
    } else if (arg.startsWith('-c')) {
      flag = '-c '
      spec = arg.slice(2)
    } else throw unsupportedSwitch(arg)
    const eq = spec.indexOf('=')
    if (eq < 0) throw requiresValue(flag, spec)
    out.push([spec.slice(0, eq).replaceAll('-', '_'), spec.slice(eq + 1)])
  }
  return out
}

function splitOptions(options: string): string[] {
  const args: string[] = []
  let current = ''
  let inArg = false
  for (let i = 0; i < options.length; i++) {
    const c = options[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      if (inArg) args.push(current)
      current = ''
      inArg = false
      continue
    }
    inArg = true
    if (c === '\\' && i + 1 < options.length) current += options[++i]
    else current += c
  }
  if (inArg) args.push(current)
  return args
}

function requiresValue(flag: string, spec: string): GatewayError {
  return new GatewayError('PROTOCOL_VIOLATION', `${flag}${spec} requires a value`, {
    severity: 'FATAL',
    sqlstate: '42601',
  })
}

function unsupportedSwitch(arg: string): GatewayError {
  const shown = arg.length > 64 ? `${arg.slice(0, 64)}…` : arg
  return new GatewayError('UNSUPPORTED_STARTUP_PARAMETER', `unsupported switch in options: ${shown}`, {
    severity: 'FATAL',
    hint: 'Skiff passes run-time parameters in options as "-c name=value" or "--name=value"; other postgres switches set server-wide state a pooled client cannot own',
  })
}

function replicationRefused(): GatewayError {
  return new GatewayError('UNSUPPORTED_STARTUP_PARAMETER', 'replication connections are not supported', {
    severity: 'FATAL',
    hint: 'connect replication clients (pg_basebackup, logical replication) to the server directly',
  })
}
