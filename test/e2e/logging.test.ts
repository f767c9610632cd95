/**
 * The logs of the `skiff` command (issue 21): JSON lines on a pipe, a readable line on a terminal,
 * the level from `general.log_level` (SKIFF_LOG_LEVEL wins), every listener logged at start, and no
 * password from the config or a login in any line, at debug level too.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pgClient } from '../helpers/clients.js'
import { testConfigText } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')
const dir = mkdtempSync(path.join(tmpdir(), 'skiff-logs-'))
const TCP_LISTENER = /listening on 127\.0\.0\.1:(\d+) \(Postgres protocol\)/
const HTTP_LISTENER = /listening on 127\.0\.0\.1:(\d+) \(HTTP \/sql and WebSocket\)/

interface Running {
  child: ChildProcess
  exited: Promise<number | null>
  output(): string
}

/** Starts `command args` with `env` added, its stderr (and stdout) collected. */
function start(command: string, args: string[], env: Record<string, string> = {}): Running {
  // The test runner's own SKIFF_LOG_* must not leak into a run that tests them.
  const { SKIFF_LOG_LEVEL: _l, SKIFF_LOG_FORMAT: _f, ...base } = process.env
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => out }
}

/** Waits until `ready` holds of the output (10 s at most). */
async function until(r: Running, ready: (out: string) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!ready(r.output())) {
    if (Date.now() > deadline || r.child.exitCode !== null) {
      r.child.kill('SIGKILL')
      throw new Error(`skiff did not get there: ${r.output()}`)
    }
    await sleep(50)
  }
}

/** SIGTERM, then the exit code (the drain has no clients to wait for). */
async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM')
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000)
  const code = await r.exited
  clearTimeout(timer)
  return code
}

function config(name: string, general = ''): string {
  const file = path.join(dir, name)
  writeFileSync(file, testConfigText({ general }))
  return file
}

/** Every line of `out` parsed as JSON; fails on a line that is not a log record. */
function records(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const r = JSON.parse(line) as Record<string, unknown>
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(r.level)), line)
      assert.equal(typeof r.msg, 'string', line)
      assert.ok(!Number.isNaN(Date.parse(String(r.time))), line)
      return r
    })
}

/** A TCP port the kernel just handed out and took back. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address() as net.AddressInfo
  await new Promise((r) => server.close(r))
  return port
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function loginUrl(port: number, password: string): string {
  const { users, database } = topology()
  return `postgres://${users.scram.username}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
}

describe('skiff logs', () => {
  it('on a pipe every line is JSON with time, level and msg; both listeners are logged; no password, at debug', async () => {
    const file = config('json.toml', 'log_client_connections = true\nlog_client_disconnections = true')
    const skiff = start('node', [SKIFF, file], { SKIFF_LOG_LEVEL: 'debug' })
    await until(skiff, (out) => TCP_LISTENER.test(out) && HTTP_LISTENER.test(out))
    const port = Number(TCP_LISTENER.exec(skiff.output())![1])
    const { password } = topology().users.scram
    {
      await using c = await pgClient(loginUrl(port, password))
      assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
    }
    const wrong = `wrong-${process.pid}-secret`
    await assert.rejects(pgClient(loginUrl(port, wrong)), /password authentication failed/)
    await until(skiff, (out) => out.includes('client disconnected'))
    assert.equal(await stop(skiff), 0)
    const logged = records(skiff.output())
    const messages = logged.map((r) => r.msg)
    assert.ok(
      messages.some((m) => TCP_LISTENER.test(String(m))),
      skiff.output(),
    )
    assert.ok(
      messages.some((m) => HTTP_LISTENER.test(String(m))),
      skiff.output(),
    )
    assert.ok(messages.includes('client connected'), skiff.output())
    assert.ok(
      logged.some((r) => r.level === 'debug'),
      'SKIFF_LOG_LEVEL=debug: debug lines are written',
    )
    for (const secret of [password, wrong, 'skiff_admin_pw', topology().users.md5.password])
      assert.ok(!skiff.output().includes(secret), `${secret} in the log:\n${skiff.output()}`)
  })

  it('log_level = "warn" hides info lines (the listeners too); SKIFF_LOG_LEVEL overrides it', async () => {
    const port = await freePort()
    // dns_cache_enabled: a key Skiff ignores, so the start writes one warning.
    const general = `log_level = "warn"\ndns_cache_enabled = true`
    const file = path.join(dir, 'warn.toml')
    writeFileSync(file, testConfigText({ general }).replace('port = 0', `port = ${port}`))
    const quiet = start('node', [SKIFF, file])
    await until(quiet, (out) => out.includes('not acted on by Skiff'))
    const deadline = Date.now() + 10_000
    while (!(await canConnect(port))) {
      assert.ok(Date.now() < deadline, quiet.output())
      await sleep(50)
    }
    // A login takes several turns of its event loop: by then the start is over and SIGTERM is handled.
    {
      await using c = await pgClient(loginUrl(port, topology().users.scram.password))
      assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
    }
    assert.equal(await stop(quiet), 0)
    const logged = records(quiet.output())
    assert.deepEqual(
      logged.map((r) => r.level),
      ['warn'],
      quiet.output(),
    )
    assert.deepEqual(logged[0]!.keys, ['general.dns_cache_enabled'])
    assert.doesNotMatch(quiet.output(), /listening on/)

    const loud = start('node', [SKIFF, config('warn-env.toml', general)], { SKIFF_LOG_LEVEL: 'info' })
    await until(loud, (out) => TCP_LISTENER.test(out) && HTTP_LISTENER.test(out))
    assert.equal(await stop(loud), 0)
    assert.ok(records(loud.output()).some((r) => r.level === 'info'))
  })

  it('a listener that cannot bind is one JSON error line naming the key; exit 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    const taken = (blocker.address() as net.AddressInfo).port
    try {
      const file = path.join(dir, 'taken.toml')
      writeFileSync(file, testConfigText().replace(/^port = 0$/m, `port = ${taken}`))
      const r = start('node', [SKIFF, file])
      assert.equal(await r.exited, 1)
      const errors = records(r.output()).filter((x) => x.level === 'error')
      assert.equal(errors.length, 1, r.output())
      assert.match(
        String(errors[0]!.msg),
        /^could not start: 127\.0\.0\.1:\d+ is already in use; change general\.port/,
      )
      assert.equal(errors[0]!.config, file)
    } finally {
      blocker.close()
    }
  })

  const hasScript = spawnSync('script', ['--version']).status === 0
  it('on a terminal each line is readable text: time, LEVEL, message', {
    skip: !hasScript && 'no script(1)',
  }, async () => {
    const file = config('tty.toml')
    // script(1) gives the command a terminal; the shell prints its pid, then becomes skiff.
    const r = start('script', ['-qfec', `echo PID=$$; exec node ${SKIFF} ${file}`, '/dev/null'], {
      NO_COLOR: '1',
    })
    // The HTTP listener is the last thing the start logs; SIGTERM is handled from then on.
    await until(r, (out) => HTTP_LISTENER.test(out) && /PID=\d+/.test(out))
    process.kill(Number(/PID=(\d+)/.exec(r.output())![1]), 'SIGTERM')
    assert.equal(await r.exited, 0)
    const lines = r
      .output()
      .split(/\r?\n/)
      .filter((l) => l !== '' && !l.startsWith('PID='))
    const listener = lines.find((l) => TCP_LISTENER.test(l))
    assert.match(
      listener ?? '',
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}listening on 127\.0\.0\.1:\d+ \(Postgres protocol\)$/,
    )
    for (const line of lines) assert.doesNotMatch(line, /^\{/, 'no JSON on a terminal')
  })
})
