/**
 * Starts a local topology and keeps it running until SIGINT/SIGTERM.
 *
 *   node --import tsx infra/src/topology-cli.ts [--dir D] [--base-port N] [--json FILE]
 *     [--replicas N] [--shards N] [--pgbench-scale N] [--keep-dir]
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { describeTopology } from './describe.js'
import { startTopology, type Topology } from './topology.js'

const USAGE =
  'usage: topology-cli [--dir D] [--base-port N] [--json FILE] [--replicas N] [--shards N] ' +
  '[--pgbench-scale N] [--keep-dir]'

function parseCli() {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      'base-port': { type: 'string' },
      json: { type: 'string' },
      replicas: { type: 'string' },
      shards: { type: 'string' },
      'pgbench-scale': { type: 'string' },
      'keep-dir': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  return values
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got "${value}"`)
  return n
}

/** Write-then-rename: a reader polling for FILE never sees half a JSON document. */
function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`)
  renameSync(tmp, file)
}

function summary(topology: Topology, seconds: string): string {
  const { primary, replicas, shards, users, database } = topology
  const servers = [primary, ...replicas, ...shards].map(
    (s) =>
      `  ${s.name.padEnd(9)} 127.0.0.1:${s.port}  ${s.role.padEnd(7)}  pid ${s.pid() ?? '-'}  ${s.dataDir}`,
  )
  const logins = Object.values(users).map((u) => `${u.username}/${u.password} (${u.auth})`)
  const { username, password } = users.scram
  return [
    `Skiff topology ready in ${seconds}s (dir ${topology.baseDir})`,
    ...servers,
    `  database "${database}" (pgbench data on primary+replicas, empty on shards)`,
    `  users: ${logins.join(', ')}`,
    `  try: psql "postgresql://${username}:${password}@127.0.0.1:${primary.port}/${database}"`,
  ].join('\n')
}

async function main(): Promise<void> {
  const args = parseCli()
  if (args.help) return console.log(USAGE)
  // A stale file from an earlier run must not be mistaken for this topology being ready.
  if (args.json) rmSync(args.json, { force: true })
  const startedAt = Date.now()
  const topology = await startTopology({
    baseDir: args.dir,
    basePort: intOption(args['base-port'], 'base-port'),
    replicas: intOption(args.replicas, 'replicas'),
    shards: intOption(args.shards, 'shards'),
    pgbenchScale: intOption(args['pgbench-scale'], 'pgbench-scale'),
    keepDir: args['keep-dir'] ?? false,
    log: (line) => console.error(line),
  })
  const shutdown = async (sig: NodeJS.Signals) => {
    console.error(`${sig}: stopping topology`)
    await topology.stop()
    if (args.json) rmSync(args.json, { force: true })
    process.exit(0)
  }
  // `on`, not `once`: while this listener exists the library's own handler leaves exiting to us.
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  if (args.json) writeJsonAtomic(args.json, describeTopology(topology))
  console.log(summary(topology, ((Date.now() - startedAt) / 1000).toFixed(1)))
  if (args.json) console.log(`  description: ${args.json}`)
  console.log('Press Ctrl-C to stop.')
  // The servers are detached, so nothing else keeps this process (their owner) alive.
  setInterval(() => {}, 1 << 30)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
