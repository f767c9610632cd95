import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { Client } from 'pg'
import { findPgBin, type PgServer, startTopology, type Topology, type TopologyUser } from './index.js'
import { childPids, isAlive } from './pg-process.js'

// Overridable so concurrent runs on one machine can be kept apart.
const BASE_PORT = Number(process.env.SKIFF_INFRA_TEST_PORT ?? 25000)
const TEST_ROOT = process.env.SKIFF_INFRA_TEST_DIR ?? tmpdir()
const newDir = () => mkdtempSync(join(TEST_ROOT, 'skiff-infra-test-'))

interface ConnectOptions {
  password?: string
  database?: string
}

async function query(server: PgServer, user: TopologyUser, sql: string, opts: ConnectOptions = {}) {
  const client = new Client({
    host: server.host,
    port: server.port,
    user: user.username,
    password: opts.password ?? user.password,
    database: opts.database ?? 'skiff',
  })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

/** First column of the first row. */
async function scalar(server: PgServer, user: TopologyUser, sql: string, opts?: ConnectOptions) {
  const [row] = await query(server, user, sql, opts)
  return row ? Object.values(row)[0] : undefined
}

/** The postmaster and every process it forked. */
function serverPids(server: PgServer): number[] {
  const pid = server.pid()
  assert.ok(pid !== undefined, `${server.name} is running`)
  return [pid, ...childPids(pid)]
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('findPgBin names the missing binary and the fix', () => {
  assert.throws(
    () => findPgBin('no-such-pg-tool'),
    /"no-such-pg-tool" not found.*apt-get install -y postgresql/s,
  )
  assert.match(findPgBin('postgres'), /postgres$/)
})

describe('startTopology', () => {
  let topo: Topology
  const su = () => topo.users.superuser
  const servers = () => [topo.primary, ...topo.replicas, ...topo.shards]

  before(async () => {
    const started = Date.now()
    const settings = { max_prepared_transactions: 3, work_mem: "'8MB'" }
    topo = await startTopology({ baseDir: newDir(), basePort: BASE_PORT, settings })
    console.log(`startTopology took ${Date.now() - started} ms`)
  })
  after(() => topo?.stop())

  test('each user authenticates with its password, using exactly its pg_hba method', async () => {
    for (const user of Object.values(topo.users)) {
      assert.equal(await scalar(topo.primary, user, 'SELECT current_user'), user.username)
    }
    const hba =
      "SELECT user_name[1] AS u, auth_method FROM pg_hba_file_rules WHERE type = 'host' AND database = '{all}'"
    const methods = new Map((await query(topo.primary, su(), hba)).map((r) => [r.u, r.auth_method]))
    for (const user of Object.values(topo.users)) assert.equal(methods.get(user.username), user.auth)
    const stored = `SELECT rolname, left(rolpassword, 14) AS p FROM pg_authid WHERE rolname LIKE 'skiff_%'`
    const byName = Object.fromEntries((await query(topo.primary, su(), stored)).map((r) => [r.rolname, r.p]))
    assert.match(byName.skiff_md5, /^md5/)
    assert.equal(byName.skiff_scram, 'SCRAM-SHA-256$')
  })

  test('a wrong password fails with 28P01 (trust ignores it)', async () => {
    const { superuser, scram, md5, plain, trust } = topo.users
    for (const user of [superuser, scram, md5, plain]) {
      await assert.rejects(query(topo.primary, user, 'SELECT 1', { password: 'wrong' }), { code: '28P01' })
    }
    assert.equal(await scalar(topo.primary, trust, 'SELECT 1', { password: 'wrong' }), 1)
  })

  test('every user reaches every server', async () => {
    for (const server of servers()) {
      for (const user of Object.values(topo.users)) {
        assert.equal(await scalar(server, user, 'SELECT 1'), 1, `${user.username}@${server.name}`)
      }
    }
  })

  test('replicas are streaming hot standbys with the pgbench data', async () => {
    for (const replica of topo.replicas) {
      assert.equal(await scalar(replica, topo.users.md5, 'SELECT pg_is_in_recovery()'), true)
      assert.equal(
        await scalar(replica, topo.users.plain, 'SELECT count(*)::int FROM pgbench_accounts'),
        100_000,
      )
    }
    const walSenders = "SELECT count(*)::int FROM pg_stat_replication WHERE state = 'streaming'"
    assert.equal(await scalar(topo.primary, su(), walSenders), topo.replicas.length)
    assert.equal(await scalar(topo.primary, su(), 'SHOW max_connections'), '200')
  })

  test('non-superusers can run pgbench TPC-B (including its vacuum)', async () => {
    const { scram } = topo.users
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      String(topo.primary.port),
      '-U',
      scram.username,
      '-c',
      '4',
      '-t',
      '25',
    ]
    const env = { ...process.env, PGPASSWORD: scram.password }
    const { stdout } = await promisify(execFile)(findPgBin('pgbench'), [...args, 'skiff'], { env })
    assert.match(stdout, /number of transactions actually processed: 100\/100/)
  })

  test('shards are independent, writable primaries with an empty skiff database', async () => {
    const sysid = 'SELECT system_identifier::text FROM pg_control_system()'
    const ids = new Set<unknown>()
    for (const shard of topo.shards) {
      ids.add(await scalar(shard, su(), sysid))
      assert.equal(await scalar(shard, topo.users.trust, 'SELECT pg_is_in_recovery()'), false)
      assert.equal(await scalar(shard, topo.users.md5, "SELECT to_regclass('pgbench_accounts')::text"), null)
    }
    ids.add(await scalar(topo.primary, su(), sysid))
    assert.equal(ids.size, topo.shards.length + 1)
    const [first, second] = topo.shards
    assert.ok(first && second)
    await query(first, topo.users.scram, 'CREATE TABLE only_here (id int)')
    assert.equal(await scalar(second, topo.users.scram, "SELECT to_regclass('only_here')::text"), null)
  })

  test('extra settings reach every server', async () => {
    for (const server of servers()) {
      assert.equal(await scalar(server, su(), 'SHOW max_prepared_transactions'), '3', server.name)
      assert.equal(await scalar(server, su(), 'SHOW work_mem'), '8MB', server.name)
    }
  })

  test('restart() brings a killed replica back', async () => {
    const [replica] = topo.replicas
    assert.ok(replica)
    const killed = serverPids(replica)
    await topo.restart(replica)
    assert.deepEqual(killed.filter(isAlive), [], 'kill -9 took the backends down too')
    assert.ok(!killed.includes(replica.pid() ?? 0))
    assert.equal(await scalar(replica, topo.users.scram, 'SELECT pg_is_in_recovery()'), true)
    assert.equal(await scalar(replica, topo.users.scram, 'SELECT count(*)::int FROM pgbench_branches'), 1)
  })

  test('restart() brings a killed primary back and replication resumes', async () => {
    const before = topo.primary.pid()
    await topo.restart(topo.primary)
    assert.notEqual(topo.primary.pid(), before)
    await query(topo.primary, topo.users.md5, 'CREATE TABLE after_restart AS SELECT 42 AS answer')
    for (const replica of topo.replicas) {
      const sql = "SELECT to_regclass('after_restart') IS NOT NULL"
      await eventually(async () => (await scalar(replica, topo.users.md5, sql)) === true)
    }
  })

  test('stop() leaves no process behind, removes the directory and is idempotent', async () => {
    const pids = servers().flatMap((s) => serverPids(s))
    assert.ok(pids.length > servers().length * 3, 'postmasters and their children were found')
    await topo.stop()
    assert.deepEqual(pids.filter(isAlive), [])
    assert.ok(servers().every((s) => s.pid() === undefined))
    assert.equal(existsSync(topo.baseDir), false)
    await topo.stop()
  })
})

test('a server that cannot start is reported with its log, and nothing is left behind', async () => {
  const port = BASE_PORT + 50
  const blocker = createServer().listen(port, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  const baseDir = newDir()
  try {
    await assert.rejects(startTopology({ baseDir, basePort: port, replicas: 0, shards: 0 }), (err: Error) => {
      assert.match(err.message, /primary \(port \d+, .*\) failed to start/)
      assert.match(err.message, /last 20 lines[\s\S]*could not bind/)
      return true
    })
    assert.equal(existsSync(baseDir), false)
  } finally {
    blocker.close()
  }
})
