import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'

// The layer rules of gateway/src live in biome.json (one noRestrictedImports override per folder) and
// run in `npm run check`. This test lints made-up files against the real biome.json, so a rule that
// stops firing (a glob that no longer matches, an override that shadows another) fails here.

const root = path.resolve(import.meta.dirname, '../..')
const RULE = 'lint/style/noRestrictedImports'
/** The folders of gateway/src, bottom to top; each has an override in biome.json and a README.md. */
const LAYERS = [
  'protocol',
  'sql',
  'util',
  'stats',
  'config',
  'auth',
  'pool',
  'binding',
  'router',
  'request',
  'session',
  'metrics',
  'http',
  'endpoints',
]

type Case = { file: string; from: string; fails: boolean; says?: string }
const bad = (file: string, from: string, says?: string): Case => ({ file, from, fails: true, says })
const ok = (file: string, from: string): Case => ({ file, from, fails: false })

const CASES: Case[] = [
  bad('protocol/x.ts', '../errors.js', 'protocol/ is the bottom layer'),
  bad('protocol/x.ts', '../util/random-pool.js'),
  bad('protocol/x.ts', 'node:net', 'protocol/ is pure: no sockets'),
  bad('protocol/x.ts', 'node:timers', 'protocol/ is pure: no timers'),
  ok('protocol/x.ts', './codes.js'),
  ok('protocol/x.ts', 'node:crypto'),
  bad('sql/x.ts', '../protocol/codes.js', 'sql/ is a pure tokenizer'),
  bad('sql/x.ts', 'node:timers/promises', 'sql/ is pure: no timers'),
  ok('sql/x.ts', './tokens.js'),
  bad('util/x.ts', '../stats/counters.js', 'util/ holds small helpers'),
  bad('util/x.ts', '../log.js'),
  ok('util/x.ts', 'node:os'),
  bad('stats/x.ts', '../util/random-pool.js', 'stats/ holds plain counters'),
  ok('stats/x.ts', './other.js'),
  bad('config/x.ts', '../protocol/codes.js', 'config/ may import only util/'),
  bad('config/x.ts', '../pool/server-pool.js'),
  ok('config/x.ts', '../util/fd-limit.js'),
  ok('config/x.ts', '../errors.js'),
  ok('config/x.ts', 'smol-toml'),
  bad('auth/x.ts', '../pool/server-conn.js', 'auth/ may import only protocol/'),
  bad('auth/x.ts', '../config/schema.js'),
  ok('auth/x.ts', '../protocol/codes.js'),
  bad('pool/x.ts', '../session/client-session.js', 'pool/ may import only protocol/'),
  bad('pool/x.ts', '../router/route.js'),
  bad('pool/x.ts', '../binding/direct.js'),
  bad('pool/x.ts', '../sql/classify.js'),
  bad('pool/x.ts', '../gateway.js'),
  bad('pool/x.ts', '../config/testing/fixtures.js', 'shipped code must not import testing/'),
  ok('pool/x.ts', '../auth/md5.js'),
  ok('pool/x.ts', '../stats/counters.js'),
  ok('pool/x.ts', '../log.js'),
  // A nested folder: ../ is pool/ itself, ../../ is gateway/src.
  bad('pool/sub/x.ts', '../../session/client-session.js', 'pool/ may import only protocol/'),
  bad('pool/sub/x.ts', '../../main.js'),
  ok('pool/sub/x.ts', '../server-pool.js'),
  ok('pool/sub/x.ts', '../../protocol/codes.js'),
  bad('binding/x.ts', '../router/route.js', 'binding/ may import only pool/'),
  bad('binding/x.ts', '../request/cut.js'),
  ok('binding/x.ts', '../pool/server-pool.js'),
  bad('router/x.ts', '../request/cut.js', 'router/ may import only pool/'),
  bad('router/x.ts', '../session/client-session.js'),
  ok('router/x.ts', '../binding/direct.js'),
  ok('router/x.ts', '../sql/classify.js'),
  bad('request/x.ts', '../session/client-session.js', 'request/ may import router/'),
  bad('request/x.ts', '../http/app.js'),
  ok('request/x.ts', '../router/route.js'),
  ok('request/x.ts', '../protocol/framer.js'),
  bad('session/x.ts', '../http/app.js', 'session/ may import every layer below it'),
  bad('session/x.ts', '../endpoints/tcp.js'),
  bad('session/x.ts', '../main.js'),
  bad('session/x.ts', '../pool/testing/fake-server.js', 'shipped code must not import testing/'),
  bad('session/x.ts', './testing/fake-client.js', 'shipped code must not import testing/'),
  ok('session/x.ts', '../request/cut.js'),
  ok('session/x.ts', '../pool/server-pool.js'),
  bad('metrics/x.ts', '../session/client-session.js', 'metrics/ may import only pool/'),
  bad('metrics/x.ts', '../http/app.js'),
  ok('metrics/x.ts', '../pool/server-pool.js'),
  ok('metrics/x.ts', '../sql/shape-cache.js'),
  ok('metrics/x.ts', 'prom-client'),
  bad('pool/x.ts', '../metrics/gateway-metrics.js'),
  bad('session/x.ts', '../metrics/gateway-metrics.js'),
  ok('http/x.ts', '../metrics/gateway-metrics.js'),
  ok('endpoints/x.ts', '../metrics/front-counters.js'),
  bad('http/x.ts', '../endpoints/websocket.js', 'http/ may import session/'),
  bad('http/x.ts', '../index.js'),
  ok('http/x.ts', '../session/client-session.js'),
  bad('endpoints/x.ts', '../gateway.js', 'endpoints/ may import http/'),
  ok('endpoints/x.ts', '../http/app.js'),
  ok('endpoints/x.ts', '../config/schema.js'),
  bad('errors.ts', './session/client-session.js', 'errors.ts and log.ts may import only protocol/'),
  bad('log.ts', './errors.js'),
  ok('errors.ts', './protocol/sqlstate.js'),
  // The top assembles everything.
  ok('gateway.ts', './endpoints/tcp.js'),
  ok('main.ts', './gateway.js'),
  // Tests and testing/ fakes may reach across layers; shipped code may not reach them.
  ok('http/x.test.ts', '../endpoints/websocket.js'),
  ok('session/x.test.ts', '../pool/testing/fake-server.js'),
  ok('session/testing/fake-client.ts', '../../http/app.js'),
]

type Diagnostic = { category: string; message: string; location: { path: string; start: { line: number } } }
type Report = { summary: { changed: number; unchanged: number }; diagnostics: Diagnostic[] }

/**
 * Writes every case as one import line of a file under gateway/src in a scratch copy of the project
 * (biome.json only), lints them all with one biome run (about 0.2 s) and returns its JSON report.
 * Biome's --stdin-file-path does not print diagnostics, hence the files.
 */
function lintCases(dir: string): { report: Report; files: Map<string, Case[]> } {
  copyFileSync(path.join(root, 'biome.json'), path.join(dir, 'biome.json'))
  const files = new Map<string, Case[]>()
  for (const c of CASES) files.set(c.file, [...(files.get(c.file) ?? []), c])
  for (const [file, cases] of files) {
    const text = cases.map((c, i) => `import * as m${i} from '${c.from}'\n`).join('')
    const full = path.join(dir, 'gateway/src', file)
    mkdirSync(path.dirname(full), { recursive: true })
    writeFileSync(full, `${text}export const used = [${cases.map((_, i) => `m${i}`).join(', ')}]\n`)
  }
  const biome = path.join(root, 'node_modules/@biomejs/biome/bin/biome')
  // --only: this rule alone, which also shows that the tests' exemption holds when a rule is forced on.
  const only = `--only=${RULE.slice('lint/'.length)}`
  const args = ['lint', '--vcs-enabled=false', only, '--reporter=json', '--max-diagnostics=none', 'gateway']
  const r = spawnSync(process.execPath, [biome, ...args], { cwd: dir, encoding: 'utf8' })
  assert.ok(r.status === 0 || r.status === 1, `biome failed (exit ${r.status}): ${r.stderr}`)
  return { report: JSON.parse(r.stdout) as Report, files }
}

describe('layer rules (biome.json noRestrictedImports)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-layering-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const { report, files } = lintCases(dir)

  it('lints every case file', () => {
    assert.equal(report.summary.changed + report.summary.unchanged, files.size)
  })

  it('fires exactly on the wrong-way imports, with its message', () => {
    const wrong: string[] = []
    for (const [file, cases] of files) {
      cases.forEach((c, i) => {
        const hits = report.diagnostics.filter(
          (d) => d.location.path === `gateway/src/${file}` && d.location.start.line === i + 1,
        )
        const fired = hits.some((d) => d.category === RULE)
        if (fired !== c.fails) wrong.push(`${file}: import '${c.from}' ${fired ? 'fired' : 'did not fire'}`)
        else if (c.says && !hits.some((d) => d.message.includes(c.says ?? '')))
          wrong.push(`${file}: import '${c.from}' fired without "${c.says}": ${hits.map((d) => d.message)}`)
      })
    }
    assert.deepEqual(wrong, [])
  })

  it('reports nothing but this rule, and nothing off the case lines', () => {
    const lines = new Set([...files].flatMap(([f, cs]) => cs.map((_, i) => `gateway/src/${f}:${i + 1}`)))
    const stray = report.diagnostics.filter(
      (d) => d.category !== RULE || !lines.has(`${d.location.path}:${d.location.start.line}`),
    )
    assert.deepEqual(stray, [])
  })
})

describe('every gateway/src folder has a place in the layers', () => {
  const biome = JSON.parse(readFileSync(path.join(root, 'biome.json'), 'utf8')) as {
    overrides: { includes: string[] }[]
  }
  const src = path.join(root, 'gateway/src')
  const folders = readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory())

  it('each folder of gateway/src is one of the layers', () => {
    const unknown = folders.map((e) => e.name).filter((n) => !LAYERS.includes(n))
    assert.deepEqual(unknown, [], 'add the new folder to biome.json overrides, its README.md and LAYERS here')
  })

  it('each layer has exactly one override in biome.json and a README.md', () => {
    for (const layer of LAYERS) {
      const n = biome.overrides.filter((o) => o.includes.includes(`gateway/src/${layer}/**`)).length
      assert.equal(n, 1, `overrides for gateway/src/${layer}/**`)
      assert.ok(existsSync(path.join(src, layer, 'README.md')), `gateway/src/${layer}/README.md`)
    }
  })
})
