import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { pgClient, run } from '../helpers/clients.js'
import { testConfigText } from '../helpers/gateway.js'

// Runs the built CLI, as a user would (`npm test` builds before testing).
const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')
const dir = mkdtempSync(path.join(tmpdir(), 'skiff-cli-'))

function file(name: string, text: string): string {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}

describe('the skiff command', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../gateway/package.json'), 'utf8'),
    )
    const r = await run('node', [SKIFF, '--version'])
    assert.equal(r.code, 0)
    assert.equal(r.stdout.trim(), `skiff ${pkg.version}`)
  })

  it('--help lists the commands', async () => {
    const r = await run('node', [SKIFF, '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /check-config <file>/)
  })

  it('check-config accepts the example config', async () => {
    const r = await run('node', [
      SKIFF,
      'check-config',
      path.resolve(import.meta.dirname, '../../infra/config/skiff.example.toml'),
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /OK/)
  })

  it('check-config names each bad key and the fix, exits 1, and never prints a password', async () => {
    const bad = file(
      'bad.toml',
      `[general]
admin_username = "a"
admin_password = "hunter2-admin"
[pools.app]
pool_mode = "transactoin"
[pools.app.users.0]
username = "u"
password = "hunter2-secret"
pool_size = 2
min_pool_size = 5
[pools.app.shards.0]
database = "app"
servers = [["127.0.0.1", 5432, "primary"], ["127.0.0.2", 5432, "primary"]]
`,
    )
    const r = await run('node', [SKIFF, 'check-config', bad])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /pools\.app\.pool_mode: expected "transaction" or "session", got "transactoin"/)
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/)
    // Cross-field checks run once every key has the right type.
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('transactoin', 'transaction'))
    const r2 = await run('node', [SKIFF, 'check-config', bad])
    assert.equal(r2.code, 1)
    assert.match(r2.stderr, /min_pool_size/)
    assert.match(r2.stderr, /pools\.app\.shards\.0.*primary/)
    assert.doesNotMatch(r2.stdout + r2.stderr, /hunter2/)
  })

  it('--config runs a gateway that serves clients and stops on SIGTERM', async () => {
    const config = file('run.toml', testConfigText())
    const child = spawn('node', [SKIFF, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 10_000)
      child.stderr.on('data', () => {
        const m = /listening on [\d.]+:(\d+)/.exec(stderr)
        if (m) {
          clearTimeout(timer)
          resolve(Number(m[1]))
        }
      })
    })
    try {
      const url = new URL(`postgres://127.0.0.1:${port}/`)
      const { users, database } = JSON.parse(readFileSync(process.env.SKIFF_TOPOLOGY_FILE!, 'utf8'))
      url.username = users.scram.username
      url.password = users.scram.password
      url.pathname = `/${database}`
      await using c = await pgClient(url.toString())
      assert.equal((await c.query('select 7 as n')).rows[0].n, 7)
    } finally {
      child.kill('SIGTERM')
    }
    const code = await new Promise((r) => child.on('exit', r))
    assert.equal(code, 0)
  })

  it('a port already in use is a one-line error naming the key to change, exit 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    const taken = (blocker.address() as net.AddressInfo).port
    try {
      const config = file(
        'taken.toml',
        testConfigText({ http: '' }).replace(
          /\[http\]\nhost = "127.0.0.1"\nport = 0/,
          `[http]\nhost = "127.0.0.1"\nport = ${taken}`,
        ),
      )
      const r = await run('node', [SKIFF, '--config', config], {}, 20_000)
      assert.equal(r.code, 1)
      assert.match(
        r.stderr,
        new RegExp(`127\\.0\\.0\\.1:${taken} is already in use; change general\\.port .* or http\\.port`),
      )
      assert.doesNotMatch(r.stderr, /at Server\./, 'no stack trace')
    } finally {
      blocker.close()
    }
  })
})
