/**
 * `npm run bench:http`: queries per second of the published `@neondatabase/serverless` driver through
 * Skiff, `neon()` over keep-alive HTTP `/sql` and `Pool` over WebSocket, next to node-postgres over TCP
 * through Skiff and straight to Postgres. 16 concurrent callers each, the same point SELECT as pgbench -S,
 * rounds alternating the targets; medians. Writes bench-results/http-latest.md.
 *
 *   npm run bench:http -- [--rounds N] [--duration S] [--callers N]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool as NeonPool, neon, neonConfig } from '@neondatabase/serverless'
import pg from 'pg'
import ws from 'ws'
import { freePort } from '../src/free-port.js'
import { startTopology, type Topology } from '../src/index.js'
import { machineLines } from './machine.js'
import { cpuMicros, killAll } from './procs.js'
import { startSkiff } from './skiff.js'
import { makeWorkDir } from './targets.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const say = (line: string): void => console.error(`[bench:http] ${line}`)
const QUERY = 'select abalance from pgbench_accounts where aid = $1'
const SCALE = 1
const ACCOUNTS = 100_000 * SCALE

/** One way of running QUERY: returns a function that runs it once, and a cleanup. */
interface Target {
  name: string
  open(): { run(aid: number): Promise<unknown>; close(): Promise<void> }
  /** Whether Skiff serves it (its CPU is then counted). */
  viaSkiff: boolean
}

interface Sample {
  target: string
  qps: number
  cpuPerQuery?: number
  /** CPU of this process (the driver and the load loop) per query. */
  clientCpuPerQuery: number
}

function targets(topology: Topology, skiffPort: number, httpPort: number, callers: number): Target[] {
  const u = topology.users.scram
  const db = topology.database
  const viaSkiff = `postgres://${u.username}:${encodeURIComponent(u.password)}@127.0.0.1:${skiffPort}/${db}`
  const direct = `postgres://${u.username}:${encodeURIComponent(u.password)}@127.0.0.1:${topology.primary.port}/${db}`
  neonConfig.fetchEndpoint = () => `http://127.0.0.1:${httpPort}/sql`
  neonConfig.webSocketConstructor = ws
  neonConfig.useSecureWebSocket = false
  neonConfig.wsProxy = () => `127.0.0.1:${httpPort}/v2`
  const pgPool = (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: callers })
    return { run: (aid: number) => pool.query(QUERY, [aid]), close: () => pool.end() }
  }
  return [
    {
      name: '`neon()` over HTTP `/sql` → Skiff',
      viaSkiff: true,
      open: () => {
        const sql = neon(viaSkiff)
        return { run: (aid) => sql.query(QUERY, [aid]), close: async () => {} }
      },
    },
    {
      name: 'neon `Pool` over WebSocket → Skiff',
      viaSkiff: true,
      open: () => {
        const pool = new NeonPool({ connectionString: viaSkiff, max: callers })
        return { run: (aid) => pool.query(QUERY, [aid]), close: () => pool.end() }
      },
    },
    { name: 'node-postgres over TCP → Skiff', viaSkiff: true, open: () => pgPool(viaSkiff) },
    { name: 'node-postgres over TCP → Postgres (direct)', viaSkiff: false, open: () => pgPool(direct) },
  ]
}

/** `callers` loops running the query back to back for `seconds`; returns queries per second. */
async function measure(target: Target, callers: number, seconds: number, skiffPid?: number): Promise<Sample> {
  const client = target.open()
  const aid = () => 1 + Math.floor(Math.random() * ACCOUNTS)
  await Promise.all(Array.from({ length: callers }, () => client.run(aid()))) // warm connections
  let done = 0
  const cpu0 = cpuMicros(skiffPid)
  const own0 = process.cpuUsage()
  const started = performance.now()
  const deadline = started + seconds * 1000
  const loop = async () => {
    while (performance.now() < deadline) {
      await client.run(aid())
      done++
    }
  }
  await Promise.all(Array.from({ length: callers }, loop))
  const elapsed = (performance.now() - started) / 1000
  const cpu1 = cpuMicros(skiffPid)
  const own = process.cpuUsage(own0)
  await client.close()
  const cpuPerQuery =
    target.viaSkiff && cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / done : undefined
  return {
    target: target.name,
    qps: done / elapsed,
    cpuPerQuery,
    clientCpuPerQuery: (own.user + own.system) / done,
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function table(samples: Sample[], names: string[]): string {
  const tcp = median(samples.filter((s) => s.target === names[2]).map((s) => s.qps))
  const rows = names.map((name) => {
    const mine = samples.filter((s) => s.target === name)
    const qps = median(mine.map((s) => s.qps))
    const cpu = mine.map((s) => s.cpuPerQuery).filter((c): c is number => c !== undefined)
    const cpuText = cpu.length > 0 ? median(cpu).toFixed(1) : '—'
    const clientCpu = median(mine.map((s) => s.clientCpuPerQuery)).toFixed(1)
    return `| ${name} | ${Math.round(qps).toLocaleString('en-US')} | ${(qps / tcp).toFixed(2)}× | ${cpuText} | ${clientCpu} |`
  })
  return [
    '| target (16 concurrent callers) | queries/s | vs TCP through Skiff | Skiff CPU µs/query | client CPU µs/query |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, duration: { type: 'string' }, callers: { type: 'string' } },
  })
  const rounds = Number(values.rounds ?? 3)
  const seconds = Number(values.duration ?? 8)
  const callers = Number(values.callers ?? 16)
  say(`starting Postgres (pgbench scale ${SCALE}) ...`)
  const topology = await startTopology({ replicas: 0, shards: 0, pgbenchScale: SCALE })
  try {
    const httpPort = await freePort()
    const { scram, md5 } = topology.users
    const skiff = await startSkiff({
      repoRoot,
      dir: makeWorkDir(),
      serverPort: topology.primary.port,
      database: topology.database,
      scram,
      md5,
      poolSize: 4,
      httpPort,
    })
    const list = targets(topology, skiff.port, httpPort, callers)
    const samples: Sample[] = []
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < list.length; i++) {
        const target = list[(i + round) % list.length]!
        const sample = await measure(target, callers, seconds, skiff.daemon.pid())
        say(`round ${round + 1}: ${target.name}: ${Math.round(sample.qps)} q/s`)
        samples.push(sample)
      }
    }
    const report = [
      `# Skiff HTTP/WebSocket benchmark, ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      '',
      ...machineLines(),
      `- Settings: \`${QUERY}\` with a random aid (pgbench -S's query), ${callers} concurrent callers in one Node process, ${rounds} round(s) × ${seconds} s per target, targets alternating; medians. Skiff transaction mode, pool_size 4, user ${scram.username} (SCRAM; HTTP logs in with the password on every request). The driver runs in the same process as the load loop, so its own cost (fetch, JSON) is part of each figure, as in an app.`,
      '',
      table(
        samples,
        list.map((t) => t.name),
      ),
      '',
    ].join('\n')
    console.log(report)
    const out = resolve(repoRoot, 'bench-results/http-latest.md')
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, report)
    say(`report written to ${out}`)
    await skiff.daemon.stop()
  } finally {
    await killAll()
    await topology.stop()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
