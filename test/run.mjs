#!/usr/bin/env node
// Test runner: starts the Postgres topology once, runs every *.test.ts file with node's test runner
// (through tsx) against it, then stops the topology. Plain JS so it runs before anything is built.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SEARCH = ['gateway/src', 'infra/src', 'infra/regress', 'test']

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (name === 'node_modules' || name === 'dist') continue
    if (statSync(full).isDirectory()) findTests(full, out)
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, full))
  }
  return out
}

async function startTopology(jsonFile) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/src/topology-cli.ts', '--json', jsonFile, '--shards', '3'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  const deadline = Date.now() + 120_000
  while (!existsSync(jsonFile)) {
    if (child.exitCode !== null)
      throw new Error(`the Postgres topology failed to start (exit ${child.exitCode})`)
    if (Date.now() > deadline) throw new Error('the Postgres topology did not start within 120 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  JSON.parse(readFileSync(jsonFile, 'utf8'))
  return child
}

function stopTopology(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

const filter = process.argv.slice(2)
const files = SEARCH.flatMap((d) => findTests(path.join(root, d))).filter(
  (f) => filter.length === 0 || filter.some((x) => f.includes(x)),
)
const work = mkdtempSync(path.join(tmpdir(), 'skiff-test-'))
const jsonFile = path.join(work, 'topology.json')
const topology = await startTopology(jsonFile)
let code = 1
try {
  const runner = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    { cwd: root, stdio: 'inherit', env: { ...process.env, SKIFF_TOPOLOGY_FILE: jsonFile } },
  )
  code = await new Promise((resolve) => runner.on('exit', (c) => resolve(c ?? 1)))
} finally {
  await stopTopology(topology)
  rmSync(work, { recursive: true, force: true })
}
process.exit(code)
