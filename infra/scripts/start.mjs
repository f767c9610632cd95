#!/usr/bin/env node
/**
 * `npm start`: a local Postgres topology with Skiff in front of it, for trying Skiff by hand.
 *   1. `infra/scripts/ensure.mjs` (npm packages, PostgreSQL binaries), then `npm run build`;
 *   2. the topology CLI (primary + 2 streaming replicas, pgbench data in database "skiff");
 *   3. `.skiff/skiff.toml` (git-ignored): pool "skiff", both test users, shard 0 = the primary and
 *      the replicas, reads split to the replicas;
 *   4. `node gateway/bin/skiff.js --config .skiff/skiff.toml` on 127.0.0.1:6432 (env SKIFF_PORT), with
 *      HTTP /sql and WebSocket on 127.0.0.1:8080 (env SKIFF_HTTP_PORT).
 * Ctrl-C / SIGTERM stops the gateway, then the topology. If the gateway exits on its own, the
 * topology is stopped too and this script exits non-zero.
 *
 * Plain JavaScript: it runs the dependency check before anything is installed or built.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const stateDir = join(root, '.skiff')
const DEFAULT_PORT = 6432
const DEFAULT_HTTP_PORT = 8080
/** Named after the port, so `npm start` runs on different ports never overwrite each other's files. */
let topologyJson = ''
let configFile = ''

const log = (msg) => console.log(`[start] ${msg}`)
const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

/** Children, in start order; they run in their own process groups so Ctrl-C reaches only us. */
const children = { topology: undefined, gateway: undefined }
let stopping = false

function fail(msg, code = 1) {
  console.error(`[start] ERROR: ${msg}`)
  return stopAll().then(() => process.exit(code))
}

/** A port from the environment (SKIFF_PORT, SKIFF_HTTP_PORT), or the default. */
function portFromEnv(name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`[start] ERROR: ${name} must be a TCP port (1-65535), got "${raw}"`)
    process.exit(1)
  }
  return port
}

/** Fails before the slow steps when the port is taken (e.g. a system PgBouncer on 6432). */
function assertPortFree(port, name = 'SKIFF_PORT') {
  return new Promise((done) => {
    const server = createServer()
    server.once('error', (err) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err.code})`
      console.error(
        `[start] ERROR: 127.0.0.1:${port} ${why}. ` +
          `Set ${name} to another port, e.g. \`${name}=${port + 1} npm start\`.`,
      )
      process.exit(1)
    })
    server.listen(port, '127.0.0.1', () => server.close(() => done()))
  })
}

/** Runs a setup step with inherited output; exits with its status when it fails. */
function runStep(label, cmd, args) {
  log(label)
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (result.status === 0) return
  const why = result.error ? result.error.message : `exit code ${result.status ?? result.signal}`
  console.error(`[start] ERROR: ${label} failed (${why})`)
  process.exit(result.status || 1)
}

/** Prefixes each line of a child's output so topology progress and gateway logs stay apart. */
function pipeWithPrefix(stream, prefix, out) {
  let pending = ''
  stream.on('data', (chunk) => {
    const lines = (pending + chunk.toString()).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) out.write(`${prefix}${line}\n`)
  })
  stream.on('end', () => pending && out.write(`${prefix}${pending}\n`))
}

/** Spawns `node args` as `children[name]`, its output prefixed with `[label]`. */
function spawnChild(name, label, args) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  pipeWithPrefix(child.stdout, `[${label}] `, process.stdout)
  pipeWithPrefix(child.stderr, `[${label}] `, process.stderr)
  child.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })))
  child.once('exit', () => (child.gone = true))
  children[name] = child
  return child
}

/** Starts the topology CLI and waits (up to 5 minutes) for the JSON description it writes. */
async function startTopology() {
  rmSync(topologyJson, { force: true })
  const args = ['--import', 'tsx', 'infra/src/topology-cli.ts', '--shards', '0', '--json', topologyJson]
  const child = spawnChild('topology', 'topology', args)
  const deadline = Date.now() + 5 * 60_000
  while (!existsSync(topologyJson)) {
    if (child.gone) return fail('the topology failed to start (see its output above)')
    if (Date.now() > deadline) return fail('the topology was not ready after 5 minutes')
    await sleep(200)
  }
  return JSON.parse(readFileSync(topologyJson, 'utf8'))
}

const q = (s) => JSON.stringify(s)

/** pgcat.toml-format config: one pool over the topology's primary and replicas. */
function skiffConfig(topology, port, httpPort) {
  const { scram, md5 } = topology.users
  const servers = [
    `  ["127.0.0.1", ${topology.primary.port}, "primary"],`,
    ...topology.replicas.map((r) => `  ["127.0.0.1", ${r.port}, "replica"],`),
  ]
  return `# Written by infra/scripts/start.mjs for the topology in ${topology.baseDir}; rewritten on every start.
[general]
host = "127.0.0.1"
port = ${port}
admin_username = "skiff_admin"
admin_password = "skiff_admin_pw"
query_wait_timeout = 60000

# POST /sql (Neon HTTP format) and Postgres over WebSocket.
[http]
host = "127.0.0.1"
port = ${httpPort}

[pools.${topology.database}]
pool_mode = "transaction"
# The replicas are listed, but every transaction goes to the primary until read/write splitting lands.

[pools.${topology.database}.shards.0]
database = ${q(topology.database)}
servers = [
${servers.join('\n')}
]

[pools.${topology.database}.users.0]
username = ${q(scram.username)}
password = ${q(scram.password)}
pool_size = 4

[pools.${topology.database}.users.1]
username = ${q(md5.username)}
password = ${q(md5.password)}
auth_type = "md5"
pool_size = 4
`
}

function canConnect(port) {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port })
    const finish = (ok) => {
      socket.destroy()
      done(ok)
    }
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}

/** Starts the gateway and waits (up to 20 s) until it accepts TCP connections. */
async function startGateway(port) {
  const child = spawnChild('gateway', 'skiff', ['gateway/bin/skiff.js', '--config', configFile])
  const deadline = Date.now() + 20_000
  while (!(await canConnect(port))) {
    if (child.gone) return fail(`the gateway exited during startup (see its output above)`)
    if (Date.now() > deadline) return fail(`the gateway is not listening on 127.0.0.1:${port} after 20 s`)
    await sleep(100)
  }
  child.exited.then(({ code, signal }) => {
    if (stopping) return
    fail(
      `the gateway exited on its own (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping the topology`,
    )
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
async function stopChild(child, graceMs) {
  if (!child || child.gone) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

/** Gateway first (its clients lose their servers otherwise), then the topology's servers. */
async function stopAll() {
  stopping = true
  await stopChild(children.gateway, 8_000)
  // The topology CLI shuts every postmaster down and removes its directory; give it time.
  await stopChild(children.topology, 60_000)
  // The config names this run's ports: stale once the topology is gone.
  if (configFile) rmSync(configFile, { force: true })
}

/** Second Ctrl-C: no more waiting. The topology CLI still gets a SIGTERM so Postgres stops. */
function forceQuit() {
  log('forced: killing the gateway, asking the topology to stop')
  process.exit(130)
}

function banner(topology, port, httpPort) {
  const { scram, md5 } = topology.users
  const url = (u) => `postgres://${u.username}:${u.password}@127.0.0.1:${port}/${topology.database}`
  const replicas = topology.replicas.map((r) => r.port).join(', ')
  return [
    '',
    `Skiff is listening on 127.0.0.1:${port}: pool "${topology.database}" over primary 127.0.0.1:${topology.primary.port} and replicas on ports ${replicas}.`,
    `  SCRAM user: psql ${url(scram)}`,
    `  md5 user:   psql ${url(md5)}`,
    `  HTTP (Neon format): curl -s http://127.0.0.1:${httpPort}/sql -H 'Neon-Connection-String: ${url(scram)}' -d '{"query":"select now()"}'`,
    `  Neon driver: neonConfig.fetchEndpoint = () => 'http://127.0.0.1:${httpPort}/sql'; neonConfig.wsProxy = () => '127.0.0.1:${httpPort}/v2'; neonConfig.useSecureWebSocket = false`,
    `  Postgres directly (superuser): psql postgres://${topology.users.superuser.username}:${topology.users.superuser.password}@127.0.0.1:${topology.primary.port}/${topology.database}`,
    `  config: ${configFile}`,
    'Press Ctrl-C to stop the gateway and the topology.',
    '',
  ].join('\n')
}

async function main() {
  const port = portFromEnv('SKIFF_PORT', DEFAULT_PORT)
  const httpPort = portFromEnv('SKIFF_HTTP_PORT', DEFAULT_HTTP_PORT)
  await assertPortFree(port)
  await assertPortFree(httpPort, 'SKIFF_HTTP_PORT')
  topologyJson = join(stateDir, `topology-${port}.json`)
  configFile = join(stateDir, port === DEFAULT_PORT ? 'skiff.toml' : `skiff-${port}.toml`)
  runStep('checking dependencies', process.execPath, [join(root, 'infra/scripts/ensure.mjs')])
  runStep('building (npm run build)', 'npm', ['run', 'build', '--silent'])
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (stopping) return forceQuit()
      log(`${sig}: stopping the gateway and the topology (Ctrl-C again to force)`)
      stopAll().then(() => process.exit(0))
    })
  }
  // Last resort (uncaught error): the gateway dies with us; the topology CLI gets SIGTERM and,
  // being detached, still stops its servers after we are gone.
  process.on('exit', () => {
    if (children.gateway && !children.gateway.gone) children.gateway.kill('SIGKILL')
    if (children.topology && !children.topology.gone) children.topology.kill('SIGTERM')
  })
  mkdirSync(stateDir, { recursive: true })
  log('starting the Postgres topology')
  const topology = await startTopology()
  writeFileSync(configFile, skiffConfig(topology, port, httpPort))
  log(`starting Skiff (${configFile})`)
  await startGateway(port)
  console.log(banner(topology, port, httpPort))
}

main().catch((err) => fail(err instanceof Error ? err.stack : String(err)))
