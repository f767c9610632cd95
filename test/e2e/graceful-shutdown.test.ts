/**
 * Graceful shutdown of the `skiff` command (issue 21, acceptance 3): SIGTERM under a 16-client pgbench
 * load lets transactions in flight finish, refuses new connections, and exits 0 within
 * shutdown_timeout; a second signal exits at once; a client idle in a transaction is closed at the
 * timeout with FATAL 57P01; a login attempted while draining gets FATAL 57P03.
 * @module
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { pgClient, pgTool, run } from '../helpers/clients.js'
import { testConfigText } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

const SKIFF = path.resolve(import.meta.dirname, '../../gateway/bin/skiff.js')
const DB = 'skiff_shutdown'
const dir = mkdtempSync(path.join(tmpdir(), 'skiff-shutdown-'))
/** Each transaction inserts two rows: an odd count means one was cut in the middle. */
const SCRIPT = `BEGIN;
INSERT INTO shutdown_rows (client) VALUES (:client_id);
SELECT pg_sleep(0.05);
INSERT INTO shutdown_rows (client) VALUES (:client_id);
COMMIT;
`

interface Running {
  child: ChildProcess
  port: number
  httpPort: number
  exited: Promise<number | null>
  output(): string
}

/** Starts the built CLI with a test config and waits for both listeners. */
async function startSkiff(
  shutdownTimeout: number,
  poolMode: 'transaction' | 'session' = 'transaction',
): Promise<Running> {
  const config = path.join(dir, `skiff-${shutdownTimeout}-${poolMode}.toml`)
  // Session mode: a server for each of the 17 clients, so none waits for one.
  const general = `shutdown_timeout = ${shutdownTimeout}`
  writeFileSync(config, testConfigText({ database: DB, poolMode, poolSize: 20, general }))
  const child = spawn('node', [SKIFF, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const deadline = Date.now() + 10_000
  for (;;) {
    const tcp = /listening on [\d.]+:(\d+) \(Postgres/.exec(out)
    const http = /listening on [\d.]+:(\d+) \(HTTP/.exec(out)
    if (tcp && http)
      return { child, port: Number(tcp[1]), httpPort: Number(http[1]), exited, output: () => out }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      throw new Error(`skiff did not start: ${out}`)
    }
    await sleep(50)
  }
}

function url(port: number): string {
  const u = topology().users.scram
  return `postgres://${u.username}:${encodeURIComponent(u.password)}@127.0.0.1:${port}/${DB}`
}

/** Resolves with the error code of a TCP connect (undefined: it connected). */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code))
  })
}

async function rowCount(): Promise<number> {
  await using c = await pgClient(directUrl(DB))
  return Number((await c.query('select count(*) as n from shutdown_rows')).rows[0].n)
}

/** Waits for the process to exit; the exit code and the milliseconds it took from `since`. */
async function exitOf(
  r: Running,
  since: number,
  limitMs: number,
): Promise<{ code: number | null; ms: number }> {
  const timer = setTimeout(() => r.child.kill('SIGKILL'), limitMs)
  const code = await r.exited
  clearTimeout(timer)
  return { code, ms: Date.now() - since }
}

describe('graceful shutdown of the skiff command', () => {
  before(async () => {
    const user = topology().users.scram.username
    {
      await using admin = await pgClient(directUrl())
      await admin.query(`drop database if exists ${DB} with (force)`)
      await admin.query(`create database ${DB} owner ${user}`)
    }
    await using db = await pgClient(directUrl(DB))
    await db.query('create table shutdown_rows (id bigserial primary key, client int not null)')
    await db.query(`alter table shutdown_rows owner to ${user}`)
  })

  for (const poolMode of ['transaction', 'session'] as const)
    it(`SIGTERM under 16 pgbench clients, ${poolMode} mode: transactions finish, new connections are refused, exit 0`, async () => {
      const timeout = 8000
      const skiff = await startSkiff(timeout, poolMode)
      const script = path.join(dir, 'two-rows.sql')
      writeFileSync(script, SCRIPT)
      const pgbench = run(
        pgTool('pgbench'),
        [
          ...['-h', '127.0.0.1', '-p', String(skiff.port), '-U', topology().users.scram.username],
          ...['-n', '-c', '16', '-j', '4', '-T', '60', '-f', script, DB],
        ],
        { PGPASSWORD: topology().users.scram.password, PGCONNECT_TIMEOUT: '10' },
      )
      // A client in a longer transaction that will still be running when the signal comes.
      const held = await pgClient(url(skiff.port))
      const heldError = new Promise<{ code?: string }>((resolve) =>
        held.on('error', (err: Error & { code?: string }) => resolve(err)),
      )
      await held.query('begin')
      await held.query('insert into shutdown_rows (client) values (-1)')
      await sleep(1500)
      assert.ok((await rowCount()) > 0, 'pgbench was running')

      const signalled = Date.now()
      skiff.child.kill('SIGTERM')
      await sleep(300)
      assert.equal(skiff.child.exitCode, null, 'still draining: the held client is in a transaction')
      assert.equal(await connectError(skiff.port), 'ECONNREFUSED', 'new TCP connections are refused')
      assert.equal(await connectError(skiff.httpPort), 'ECONNREFUSED', 'new HTTP connections are refused')
      // The held transaction goes on and commits; then its client is closed with 57P01.
      await held.query('insert into shutdown_rows (client) values (-1)')
      await held.query('commit')
      assert.equal((await heldError).code, '57P01')

      const { code, ms } = await exitOf(skiff, signalled, timeout + 5000)
      assert.equal(code, 0, skiff.output())
      assert.ok(ms < timeout, `exited ${ms} ms after SIGTERM (shutdown_timeout ${timeout})`)
      const r = await pgbench
      // pgbench aborts its clients when they are closed; each must have been between transactions: at
      // its next BEGIN (command 0), never in the middle of one.
      const aborted = [...r.stderr.matchAll(/client \d+ aborted in command (\d+)/g)].map((m) => Number(m[1]))
      assert.ok(aborted.length > 0, r.stderr)
      assert.deepEqual(
        aborted.filter((command) => command !== 0),
        [],
        r.stderr,
      )
      assert.doesNotMatch(r.stdout, /number of failed transactions: [1-9]/, r.stdout)
      const rows = await rowCount()
      assert.equal(rows % 2, 0, `${rows} rows: a transaction was cut in the middle`)
      await held.end().catch(() => {})
    })

  it('a second SIGTERM exits at once', async () => {
    const skiff = await startSkiff(60_000)
    const c = await pgClient(url(skiff.port))
    await c.query('begin')
    skiff.child.kill('SIGTERM')
    await sleep(300)
    assert.equal(skiff.child.exitCode, null, 'waiting for the open transaction')
    const second = Date.now()
    skiff.child.kill('SIGTERM')
    const { code, ms } = await exitOf(skiff, second, 10_000)
    assert.equal(code, 1)
    assert.ok(ms < 2000, `exited ${ms} ms after the second SIGTERM`)
    await c.end().catch(() => {})
  })

  it('a login attempted while draining gets FATAL 57P03, a logged-in client 57P01', async () => {
    const skiff = await startSkiff(10_000)
    // Accepted before the signal, its StartupMessage sent after it, like a connection that raced the
    // listener's close.
    const late = await RawSocket.connect(skiff.port)
    const held = await pgClient(url(skiff.port))
    const heldError = new Promise<{ code?: string }>((resolve) =>
      held.on('error', (err: Error & { code?: string }) => resolve(err)),
    )
    await held.query('begin')
    skiff.child.kill('SIGTERM')
    await sleep(300)
    const u = topology().users.scram
    late.write(serializeStartupMessage({ user: u.username, database: DB }))
    await late.until(() => late.closed)
    const fields = late.firstError()
    assert.equal(fields?.get('C'), '57P03', JSON.stringify(late.messages))
    assert.equal(fields?.get('S'), 'FATAL')
    assert.equal(fields?.get('M'), 'the database system is shutting down')
    await held.query('commit')
    assert.equal((await heldError).code, '57P01')
    const { code } = await exitOf(skiff, Date.now(), 10_000)
    assert.equal(code, 0, skiff.output())
    await held.end().catch(() => {})
  })

  it('a client idle in a transaction is closed with 57P01 when shutdown_timeout passes', async () => {
    const timeout = 1500
    const skiff = await startSkiff(timeout)
    const c = await pgClient(url(skiff.port))
    const closed = new Promise<{ code?: string; at: number }>((resolve) =>
      c.on('error', (err: Error & { code?: string }) => resolve({ code: err.code, at: Date.now() })),
    )
    await c.query('begin')
    await c.query('insert into shutdown_rows (client) values (-2)')
    const signalled = Date.now()
    skiff.child.kill('SIGTERM')
    const error = await closed
    assert.equal(error.code, '57P01')
    assert.ok(error.at - signalled >= timeout - 100, `closed ${error.at - signalled} ms after SIGTERM`)
    const { code, ms } = await exitOf(skiff, signalled, timeout + 5000)
    assert.equal(code, 0, skiff.output())
    assert.ok(ms < timeout + 2000, `exited ${ms} ms after SIGTERM`)
    await c.end().catch(() => {})
    // Its transaction was rolled back by the server, so no row of it is left.
    await using db = await pgClient(directUrl(DB))
    const left = await db.query('select count(*) as n from shutdown_rows where client = -2')
    assert.equal(Number(left.rows[0].n), 0)
  })
})
