#!/usr/bin/env node
/**
 * Makes this machine able to build and test Skiff:
 *   - npm packages installed and not older than package-lock.json (`npm ci`, or `npm install`
 *     when there is no lock file);
 *   - PostgreSQL server binaries present (`apt-get install postgresql postgresql-contrib`);
 *   - with `--pgbouncer`, the pgbouncer binary too (benchmarks compare against it).
 * Services that Debian's packages start on install (a 5432 cluster, pgbouncer on 6432, which is also
 * Skiff's default port) are stopped again: the test topologies run their own servers.
 *
 * Plain JavaScript without dependencies: this runs before node_modules exists.
 * Usage: node infra/scripts/ensure.mjs [--pgbouncer]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createConnection } from 'node:net'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const isRoot = process.getuid?.() === 0
const SKIFF_DEFAULT_PORT = 6432

const log = (msg) => console.log(`[ensure] ${msg}`)

function fail(msg) {
  console.error(`[ensure] ERROR: ${msg}`)
  process.exit(1)
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/** Runs a command with inherited stdio; `optional` failures are reported but tolerated. */
function run(cmd, args, { optional = false } = {}) {
  log(`$ ${[cmd, ...args].join(' ')}`)
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (result.status === 0) return true
  const why = result.error ? result.error.message : `exit code ${result.status}`
  if (!optional) fail(`\`${[cmd, ...args].join(' ')}\` failed (${why})`)
  log(`(ignored: ${why})`)
  return false
}

/** Privileged command: direct as root, through sudo otherwise. */
function runAsRoot(args, opts) {
  if (isRoot) return run(args[0], args.slice(1), opts)
  if (!has('sudo')) fail(`need root for \`${args.join(' ')}\`, and sudo is not installed; run it as root`)
  return run('sudo', args, opts)
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

function ensureNodeModules() {
  const lockTime = mtime(join(root, 'package-lock.json'))
  const modules = join(root, 'node_modules')
  // npm rewrites node_modules/.package-lock.json on every install: the best "installed at" stamp.
  const installedTime = mtime(join(modules, '.package-lock.json')) ?? mtime(modules)
  // 2s slack: `npm install` may write package-lock.json just after the hidden lock file.
  if (installedTime !== undefined && (lockTime === undefined || installedTime + 2000 >= lockTime)) {
    log('node_modules is up to date')
    return
  }
  if (!has('npm')) fail('npm is not on PATH; install Node.js 20+ with npm')
  log(
    installedTime === undefined ? 'node_modules is missing' : 'node_modules is older than package-lock.json',
  )
  run('npm', lockTime === undefined ? ['install'] : ['ci'])
}

/** Same places infra/src/pg-binaries.ts looks for a server binary. */
function postgresInstalled() {
  const dirs = [process.env.SKIFF_PG_BIN, ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean)
  try {
    dirs.push(...readdirSync('/usr/lib/postgresql').map((v) => join('/usr/lib/postgresql', v, 'bin')))
  } catch {
    // no Debian-style install
  }
  return dirs.some((dir) => existsSync(join(dir, 'postgres')))
}

let aptUpdated = false

function aptInstall(packages) {
  if (!has('apt-get')) {
    fail(`apt-get not found: install ${packages.join(' ')} with your package manager (or set SKIFF_PG_BIN)`)
  }
  const apt = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get']
  if (!aptUpdated) runAsRoot([...apt, 'update'])
  aptUpdated = true
  runAsRoot([...apt, 'install', '-y', ...packages])
}

/** Stops (and with systemd disables) a service the package just started; all best effort. */
function stopService(name) {
  if (existsSync('/run/systemd/system') && has('systemctl')) {
    runAsRoot(['systemctl', 'disable', '--now', name], { optional: true })
  } else if (has('service')) {
    runAsRoot(['service', name, 'stop'], { optional: true })
  }
}

/** Debian's postgresql package creates and starts a "main" cluster (port 5432); stop them all. */
function stopDebianClusters() {
  stopService('postgresql')
  if (!has('pg_lsclusters')) return
  const listing = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? ''
  for (const line of listing.split('\n')) {
    const [version, cluster, , status] = line.trim().split(/\s+/)
    if (version && cluster && status?.startsWith('online')) {
      runAsRoot(['pg_ctlcluster', version, cluster, 'stop'], { optional: true })
    }
  }
}

function ensurePostgres() {
  if (postgresInstalled()) return log('PostgreSQL server binaries found')
  log('PostgreSQL server binaries missing (no /usr/lib/postgresql/*/bin/postgres)')
  aptInstall(['postgresql', 'postgresql-contrib'])
  if (!postgresInstalled()) fail('postgresql was installed but no postgres binary was found')
  stopDebianClusters()
}

function ensurePgbouncer() {
  if (existsSync('/usr/sbin/pgbouncer') || has('pgbouncer')) return log('pgbouncer found')
  log('pgbouncer missing')
  aptInstall(['pgbouncer'])
  if (!existsSync('/usr/sbin/pgbouncer')) fail('pgbouncer was installed but /usr/sbin/pgbouncer is missing')
  stopService('pgbouncer')
}

/** Services we did not install are left alone, but a listener on 6432 would break `npm start`. */
function warnIfPortBusy(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.setTimeout(500)
    socket.once('connect', () => {
      log(`warning: something already listens on 127.0.0.1:${port} (Skiff's default port)`)
      socket.destroy()
      done()
    })
    const free = () => {
      socket.destroy()
      done()
    }
    socket.once('error', free)
    socket.once('timeout', free)
  })
}

ensureNodeModules()
ensurePostgres()
if (process.argv.includes('--pgbouncer')) ensurePgbouncer()
await warnIfPortBusy(SKIFF_DEFAULT_PORT)
log('ok')
