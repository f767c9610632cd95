/**
 * The `skiff` command: `skiff FILE` (PgCat's positional form) or `skiff --config FILE`,
 * `skiff check-config [--strict] FILE`, `--help`, `--version`.
 * @module
 */
import { readFileSync } from 'node:fs'
import { startAutoreload } from './autoreload.js'
import { ConfigError, type LoadedConfig, loadConfigFile } from './config/load.js'
import { ignoredKeysLine, ignoredKeysMessage } from './config/warnings.js'
import { loadTlsIdentities } from './endpoints/tls-context.js'
import { Gateway } from './gateway.js'
import { configureLogging, log } from './log.js'
import { loadServerTls } from './pool/server-tls.js'

const USAGE = `Usage:
  skiff <file>                         run the gateway with a pgcat.toml-format config
  skiff --config <file>                the same
  skiff check-config [--strict] <file> validate a config file, print problems, exit 1 if invalid;
                                       --strict also fails on unknown keys, naming each
  skiff --help                         this text
  skiff --version                      print the version

Environment: SKIFF_LOG_LEVEL=debug|info|warn|error overrides general.log_level (default info);
             SKIFF_LOG_FORMAT=auto|json|text overrides general.log_format (default auto:
             text on a terminal, JSON lines otherwise).`

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

async function checkConfig(file: string, strict: boolean): Promise<number> {
  try {
    const { config, unknownKeys, ignoredKeys } = await loadConfigFile(file)
    // The TLS files are read the way the start reads them, so a bad path fails here, not at start.
    loadTlsIdentities(config)
    loadServerTls(config.general)
    const failed = strict && unknownKeys.length > 0
    if (failed) {
      console.error(`${file}: unknown keys are errors with --strict`)
      for (const message of unknownKeys) console.error(`  - ${message}`)
    } else for (const message of unknownKeys) console.log(`warning: ${message}`)
    if (ignoredKeys.length > 0) console.log(`warning: ${ignoredKeysLine(ignoredKeys)}`)
    if (failed) return 1
    console.log(`${file}: OK`)
    return 0
  } catch (err) {
    printConfigError(file, err)
    return 1
  }
}

function printConfigError(file: string, err: unknown): void {
  if (err instanceof ConfigError) {
    console.error(`${file}: invalid config`)
    for (const issue of err.issues) console.error(`  - ${issue}`)
  } else console.error(`${file}: ${err instanceof Error ? err.message : String(err)}`)
}

async function run(file: string): Promise<number> {
  let loaded: LoadedConfig
  try {
    loaded = await loadConfigFile(file)
  } catch (err) {
    printConfigError(file, err)
    return 1
  }
  configureLogging(loaded.config.general)
  logFindings(loaded)
  let gateway: Gateway
  try {
    gateway = new Gateway(loaded.config) // reads server_tls_ca_file: a bad one is an error like a bad port
  } catch (err) {
    log.error(`could not start: ${listenErrorText(err)}`, { config: file })
    return 1
  }
  gateway.configFile = file
  // Signals are handled from before the listeners open, so one that comes while they open is not
  // the default exit (143): it waits for the start, then drains like any other.
  const signals = handleSignals(gateway, file)
  try {
    await gateway.start()
  } catch (err) {
    log.error(`could not start: ${listenErrorText(err)}`, { config: file })
    return 1
  }
  signals.started()
  return new Promise<number>(() => {})
}

/**
 * SIGINT/SIGTERM (and the admin console's SHUTDOWN) drain the gateway and exit 0; a second one exits
 * at once with 1. SIGHUP reloads the config, and autoreload watches the file. Returns `started`, to be
 * called once the listeners are open (a signal that came before is acted on then).
 */
function handleSignals(gateway: Gateway, file: string): { started(): void } {
  let running = false
  let pending: string | undefined
  let stopping = false
  let stopAutoreload = () => {}
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} received again: exiting now, without waiting for transactions`)
      process.exit(1)
    }
    if (!running) {
      pending ??= signal
      return
    }
    stopping = true
    stopAutoreload()
    const timeout = gateway.config.general.shutdown_timeout
    log.info(`${signal} received, shutting down (shutdown_timeout ${timeout} ms; send it again to exit now)`)
    gateway.shutdown(timeout).then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  gateway.onShutdownRequest = () => stop('SHUTDOWN (admin console)')
  process.on('SIGHUP', () => {
    log.info('SIGHUP received: reloading the config', { file })
    void gateway.reload()
  })
  return {
    started() {
      running = true
      // Runs even while autoreload is unset, since a RELOAD or SIGHUP may set it.
      stopAutoreload = startAutoreload(gateway, file)
      if (pending !== undefined) stop(pending)
    },
  }
}

/**
 * Logs the config findings at start: one line per unknown key, and ONE line for every key Skiff
 * accepts but ignores, the keys as a field (the logger cuts a long message, never a list item).
 */
function logFindings({ unknownKeys, ignoredKeys }: LoadedConfig): void {
  for (const message of unknownKeys) log.warn(message)
  if (ignoredKeys.length > 0) log.warn(ignoredKeysMessage(ignoredKeys.length), { keys: ignoredKeys })
}

/** A listener that failed to bind, said with the key that fixes it. */
function listenErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number }
  if (e.code === 'EADDRINUSE')
    return `${e.address}:${e.port} is already in use; change general.port (TCP) or http.port (HTTP/WebSocket), or set http.enabled = false`
  if (e.code === 'EACCES') return `no permission to listen on ${e.address}:${e.port}; use a port above 1023`
  if (e.code === 'EADDRNOTAVAIL')
    return `${e.address} is not an address of this machine; fix general.host or http.host`
  return e instanceof Error ? e.message : String(e)
}

/** What the command line asks for; `usage` when it does not parse. */
export type Command =
  | { kind: 'help' | 'version' | 'usage' }
  | { kind: 'run'; file: string }
  | { kind: 'check-config'; file: string; strict: boolean }

/**
 * Reads the arguments. A lone file name runs the gateway, as `pgcat pgcat.toml` does;
 * `--strict` may come before or after the file of `check-config`.
 */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv
  if (first === '--help' || first === '-h') return { kind: 'help' }
  if (first === '--version' || first === '-V') return { kind: 'version' }
  if (first === 'check-config') {
    const strict = rest.includes('--strict')
    const files = rest.filter((arg) => arg !== '--strict')
    const file = files[0]
    if (files.length !== 1 || file === undefined || file.startsWith('-')) return { kind: 'usage' }
    return { kind: 'check-config', file, strict }
  }
  if ((first === '--config' || first === '-c') && rest.length === 1) return { kind: 'run', file: rest[0]! }
  if (first !== undefined && !first.startsWith('-') && rest.length === 0) return { kind: 'run', file: first }
  return { kind: 'usage' }
}

/** Entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const command = parseArgs(argv)
  switch (command.kind) {
    case 'help':
      console.log(USAGE)
      return 0
    case 'version':
      console.log(`skiff ${version()}`)
      return 0
    case 'check-config':
      return checkConfig(command.file, command.strict)
    case 'run':
      return run(command.file)
    case 'usage':
      console.error(USAGE)
      return 2
    default:
      throw new Error(`Unexpected command: ${JSON.stringify(command satisfies never)}`)
  }
}
