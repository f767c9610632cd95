/**
 * `npm run bench:ab -- <before-checkout> <after-checkout> [rounds]`: two builds of Skiff side by side
 * in front of one Postgres, pgbench alternating between them (the order flips every round), and the
 * median CPU each spends per transaction. On a shared machine whose speed drifts from minute to minute,
 * this compares two versions far more steadily than two `npm run bench` runs one after the other.
 * Both checkouts must be built (`npm run build` in each).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '../src/free-port.js'
import { findPgBin, startTopology, type Topology } from '../src/index.js'
import { canConnect } from './procs.js'
import { skiffConfig } from './skiff.js'
import { WORKLOADS } from './workloads.js'

const USAGE =
  'usage: npm run bench:ab -- <before-checkout> <after-checkout> [rounds (default 6)] [workloads, e.g. select,prepared]'

/** utime + stime of a process, in clock ticks (CLK_TCK 100). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface Side {
  name: string
  child: ChildProcess
  port: number
}

async function startSide(name: string, root: string, topo: Topology, dir: string): Promise<Side> {
  const cli = join(root, 'gateway/bin/skiff.js')
  if (!existsSync(join(root, 'gateway/dist')))
    throw new Error(`${root} is not built: run npm run build there`)
  const port = await freePort()
  const config = join(dir, `${name}.toml`)
  const { scram, md5 } = topo.users
  const database = topo.database
  const opts = { repoRoot: root, dir, serverPort: topo.primary.port, database, scram, md5, poolSize: 4 }
  writeFileSync(config, skiffConfig(opts, port))
  // SKIFF_AB_PROFILE=<dir>: each side writes a V8 CPU profile there when it stops (see --cpu-prof).
  const profile = process.env.SKIFF_AB_PROFILE
  const flags = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name}.cpuprofile`]
    : []
  const child = spawn(process.execPath, [...flags, cli, '--config', config], { stdio: 'ignore' })
  return { name, port, child }
}

/** One pgbench run against `side`; CPU µs per transaction. */
function measure(side: Side, args: string[], topo: Topology): number {
  const pid = side.child.pid!
  const before = cpuTicks(pid)
  const { scram } = topo.users
  const common = ['-n', '-c', '16', '-j', '2', '-T', '5', '-h', '127.0.0.1', '-p', String(side.port)]
  const out = spawnSync(findPgBin('pgbench'), [...args, ...common, '-U', scram.username, topo.database], {
    env: { ...process.env, PGPASSWORD: scram.password },
    encoding: 'utf8',
  })
  const txns = Number(/number of transactions actually processed: (\d+)/.exec(out.stdout)?.[1] ?? 0)
  if (txns === 0) throw new Error(`pgbench against ${side.name} failed: ${out.stderr}`)
  return ((cpuTicks(pid) - before) * 10_000) / txns
}

async function main(): Promise<void> {
  const [beforeDir, afterDir, roundsArg, onlyArg] = process.argv.slice(2)
  if (beforeDir === undefined || afterDir === undefined) throw new Error(USAGE)
  const rounds = Number(roundsArg ?? 6)
  const topo = await startTopology({ replicas: 0, shards: 0, pgbenchScale: 10 })
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ab-'))
  const sides = [
    await startSide('before', resolve(beforeDir), topo, dir),
    await startSide('after', resolve(afterDir), topo, dir),
  ]
  try {
    // Both sides listening (a loaded machine may take seconds to start a process).
    for (const side of sides) {
      const deadline = Date.now() + 30_000
      while (!(await canConnect(side.port)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100))
    }
    console.log('| workload | before CPU µs/txn (median) | after CPU µs/txn (median) | after / before |')
    console.log('|---|---|---|---|')
    const only = onlyArg?.split(',') ?? []
    // connect only when named: pgbench's own SCRAM work makes its CPU figures swing widely.
    const chosen = WORKLOADS.filter((x) => (only.length === 0 ? x.name !== 'connect' : only.includes(x.name)))
    for (const w of chosen) {
      const cpu: Record<string, number[]> = { before: [], after: [] }
      for (let r = 0; r < rounds; r++) {
        for (const side of r % 2 === 0 ? sides : [...sides].reverse())
          cpu[side.name]!.push(measure(side, w.args, topo))
      }
      const [b, a] = [median(cpu.before!), median(cpu.after!)]
      console.log(`| ${w.label} | ${b.toFixed(1)} | ${a.toFixed(1)} | ${(a / b).toFixed(2)}× |`)
    }
  } finally {
    const exited = sides.map((s) => new Promise((r) => s.child.once('exit', r)))
    for (const s of sides) s.child.kill('SIGTERM')
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 10_000))])
    await topo.stop()
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.message)
    process.exit(1)
  },
)
