import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { pgClient, run } from '../helpers/clients.js'
import { testConfigText } from '../helpers/gateway.js'
import { makeTestCertificates } from '../helpers/test-ca.js'

// Runs the built CLI, as a user would (`npm test` builds before testing).
const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')
const dir = mkdtempSync(path.join(tmpdir(), 'skiff-cli-'))

/** Runs `skiff args` until its log matches `ready` (default: the first listener) and reads the TCP port. */
async function startSkiff(args: string[], ready = /listening on [\d.]+:\d+/) {
  const child = spawn('node', [SKIFF, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 10_000)
    child.stderr.on('data', () => {
      if (ready.test(stderr)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const port = Number(/listening on [\d.]+:(\d+) \(Postgres protocol\)/.exec(stderr)?.[1])
  return {
    child,
    exited,
    port,
    get stderr() {
      return stderr
    },
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

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
    assert.match(r.stdout, /skiff <file> /)
    assert.match(r.stdout, /check-config \[--strict\] <file>/)
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

  for (const form of [['--config'], []]) {
    const how = form.length === 0 ? "a lone file (PgCat's positional form)" : '--config <file>'
    it(`${how} runs a gateway that serves clients and stops on SIGTERM`, async () => {
      const config = file('run.toml', testConfigText())
      const skiff = await startSkiff([...form, config])
      try {
        const url = new URL(`postgres://127.0.0.1:${skiff.port}/`)
        const { users, database } = JSON.parse(readFileSync(process.env.SKIFF_TOPOLOGY_FILE!, 'utf8'))
        url.username = users.scram.username
        url.password = users.scram.password
        url.pathname = `/${database}`
        await using c = await pgClient(url.toString())
        assert.equal((await c.query('select 7 as n')).rows[0].n, 7)
      } finally {
        skiff.child.kill('SIGTERM')
      }
      assert.equal(await skiff.exited, 0)
    })
  }

  it('HTTP binds general.host when [http] names no host, and each listener is logged with its address', async () => {
    const text = testConfigText({ general: 'dns_cache_enabled = true\ndns_max_ttl = 60' }).replace(
      '[http]\nhost = "127.0.0.1"\n',
      '[http]\n',
    )
    assert.doesNotMatch(text, /\[http\]\nhost/)
    const skiff = await startSkiff([file('http-host.toml', text)], /\(HTTP \/sql and WebSocket\)/)
    try {
      assert.match(
        skiff.stderr,
        new RegExp(`listening on 127\\.0\\.0\\.1:${skiff.port} \\(Postgres protocol\\)`),
      )
      const http = /listening on ([\d.]+):(\d+) \(HTTP \/sql and WebSocket\)/.exec(skiff.stderr)
      assert.ok(http, skiff.stderr)
      assert.equal(http[1], '127.0.0.1')
      const httpPort = Number(http[2])
      // Bound to 127.0.0.1 only: another loopback address (127.0.0.2) is refused; on 0.0.0.0 it would answer.
      assert.equal(await canConnect('127.0.0.1', httpPort), true)
      assert.equal(await canConnect('127.0.0.2', httpPort), false)
      // The keys Skiff accepts but ignores come in one warning line that names them all.
      const ignored = skiff.stderr.split('\n').filter((line) => /not acted on by Skiff/.test(line))
      assert.equal(ignored.length, 1, skiff.stderr)
      const warning = JSON.parse(ignored[0]!)
      assert.equal(warning.level, 'warn')
      assert.match(warning.msg, /^2 keys are /)
      assert.deepEqual(warning.keys, ['general.dns_cache_enabled', 'general.dns_max_ttl'])
    } finally {
      skiff.child.kill('SIGTERM')
    }
    assert.equal(await skiff.exited, 0)
  })

  it('check-config --strict fails on unknown keys and names each; without --strict they are warnings', async () => {
    const text = testConfigText({
      general: 'prot = 6432\ndns_cache_enabled = true',
      pool: 'pool_mod = "session"',
    })
    const typo = file('typo.toml', text)
    const strict = await run('node', [SKIFF, 'check-config', '--strict', typo])
    assert.equal(strict.code, 1, strict.stdout)
    assert.match(strict.stderr, /unknown key "general\.prot".*did you mean "port"\?/)
    assert.match(strict.stderr, /unknown key "pools\.\w+\.pool_mod".*did you mean "pool_mode"\?/)
    assert.match(strict.stdout, /warning: 1 key is accepted .*: general\.dns_cache_enabled/)
    assert.doesNotMatch(strict.stdout, /OK/)
    const after = await run('node', [SKIFF, 'check-config', typo, '--strict'])
    assert.equal(after.code, 1)
    const lenient = await run('node', [SKIFF, 'check-config', typo])
    assert.equal(lenient.code, 0, lenient.stderr)
    assert.match(lenient.stdout, /warning: unknown key "general\.prot"/)
    assert.match(lenient.stdout, /OK/)
    // Keys Skiff accepts but ignores are not unknown: --strict passes them.
    const clean = file('clean.toml', testConfigText({ general: 'dns_cache_enabled = true' }))
    const ok = await run('node', [SKIFF, 'check-config', '--strict', clean])
    assert.equal(ok.code, 0, ok.stderr)
  })

  it('check-config reads the TLS files as the start does: a missing one fails naming the key, a valid pair is OK', async () => {
    const certs = makeTestCertificates()
    try {
      const tlsKeys = (cert: string, key: string) =>
        `tls_certificate = ${JSON.stringify(cert)}\ntls_private_key = ${JSON.stringify(key)}`
      const missing = path.join(certs.dir, 'missing.crt')
      const bad = file('tls-missing.toml', testConfigText({ general: tlsKeys(missing, certs.serverKey) }))
      const r = await run('node', [SKIFF, 'check-config', bad])
      assert.equal(r.code, 1, r.stdout)
      assert.match(r.stderr, /general\.tls_certificate: cannot read .*missing\.crt \(ENOENT\)/)
      assert.doesNotMatch(r.stdout, /OK/)
      const mismatch = file(
        'tls-mismatch.toml',
        testConfigText({ general: tlsKeys(certs.serverCert, certs.otherKey) }),
      )
      const r2 = await run('node', [SKIFF, 'check-config', mismatch])
      assert.equal(r2.code, 1, r2.stdout)
      assert.match(r2.stderr, /general\.tls_private_key: .*does not fit the certificate/)
      const good = file(
        'tls-good.toml',
        testConfigText({ general: tlsKeys(certs.serverCert, certs.serverKey) }),
      )
      const ok = await run('node', [SKIFF, 'check-config', good])
      assert.equal(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /OK/)
    } finally {
      certs.dispose()
    }
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
