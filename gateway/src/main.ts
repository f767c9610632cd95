/**
 * The `skiff` command: `skiff --config FILE`, `skiff check-config FILE`, `--help`, `--version`.
 * @module
 */
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfigFile } from './config/load.js'
import { Gateway } from './gateway.js'
import { log } from './log.js'

const USAGE = `Usage:
  skiff --config <file>       run the gateway with a pgcat.toml-format config
  skiff check-config <file>   validate a config file, print problems, exit 1 if invalid
  skiff --help                this text
  skiff --version             print the version

Environment: SKIFF_LOG_LEVEL=debug|info|warn|error (default info).`

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

async function checkConfig(file: string): Promise<number> {
  try {
    const { warnings } = await loadConfigFile(file)
    for (const w of warnings) console.log(`warning: ${w}`)
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
  let loaded: Awaited<ReturnType<typeof loadConfigFile>>
  try {
    loaded = await loadConfigFile(file)
  } catch (err) {
    printConfigError(file, err)
    return 1
  }
  for (const w of loaded.warnings) log.warn(w)
  const gateway = new Gateway(loaded.config)
  try {
    await gateway.start()
  } catch (err) {
    console.error(`${file}: could not start: ${listenErrorText(err)}`)
    return 1
  }
  // The first SIGINT/SIGTERM drains (gateway.shutdown); a second one exits at once.
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} received again: exiting now, without waiting for transactions`)
      process.exit(1)
    }
    stopping = true
    const timeout = loaded.config.general.shutdown_timeout
    log.info(`${signal} received, shutting down (shutdown_timeout ${timeout} ms; send it again to exit now)`)
    gateway.shutdown(timeout).then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGHUP', () =>
    log.warn('SIGHUP: live reload is not implemented yet; restart to apply config changes'),
  )
  return new Promise<number>(() => {})
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

/** Entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, second] = argv
  if (first === '--help' || first === '-h') {
    console.log(USAGE)
    return 0
  }
  if (first === '--version' || first === '-V') {
    console.log(`skiff ${version()}`)
    return 0
  }
  if (first === 'check-config' && second) return checkConfig(second)
  if ((first === '--config' || first === '-c') && second) return run(second)
  console.error(USAGE)
  return 2
}
