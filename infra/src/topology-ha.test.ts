/**
 * One server at a time: stop (fast, immediate), start, promote, and settings for replicas only, on a
 * small private topology (no shards, no pgbench data) so the whole file takes a few seconds.
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Client } from 'pg'
import { type PgServer, startTopology, type Topology } from './index.js'
import { childPids, isAlive } from './pg-process.js'

const TEST_ROOT = process.env.SKIFF_INFRA_TEST_DIR ?? tmpdir()
const APPLY_DELAY_MS = 1000

describe('stop, start and promote one server of a topology', () => {
  let topo: Topology

  /** First column of the first row, as the md5 user over TCP. */
  async function scalar(server: PgServer, sql: string): Promise<unknown> {
    const { username: user, password } = topo.users.md5
    const client = new Client({ host: server.host, port: server.port, user, password, database: 'skiff' })
    await client.connect()
    try {
      const [row] = (await client.query(sql)).rows
      return row ? Object.values(row)[0] : undefined
    } finally {
      await client.end()
    }
  }

  const inRecovery = (server: PgServer) => scalar(server, 'SELECT pg_is_in_recovery()')
  const hasTable = (server: PgServer, name: string) =>
    scalar(server, `SELECT to_regclass('${name}') IS NOT NULL`)

  /** Polls until `check` is true; returns how long that took. */
  async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
    const started = Date.now()
    while (!(await check().catch(() => false))) {
      if (Date.now() - started > timeoutMs) throw new Error('condition not met in time')
      await new Promise((r) => setTimeout(r, 25))
    }
    return Date.now() - started
  }

  const replica = (i: number): PgServer => {
    const server = topo.replicas[i]
    assert.ok(server, `replica ${i} exists`)
    return server
  }

  before(async () => {
    const started = Date.now()
    topo = await startTopology({
      baseDir: mkdtempSync(join(TEST_ROOT, 'skiff-infra-ha-')),
      replicas: 2,
      shards: 0,
      pgbenchScale: 0,
      replicaSettings: { recovery_min_apply_delay: `'${APPLY_DELAY_MS}ms'` },
    })
    console.log(`startTopology (2 replicas, no shards, no data) took ${Date.now() - started} ms`)
  })
  after(() => topo?.stop())

  test('replicaSettings reach the replicas only: a replica applies a commit after the delay', async () => {
    assert.equal(await scalar(topo.primary, 'SHOW recovery_min_apply_delay'), '0')
    for (const r of topo.replicas) assert.equal(await scalar(r, 'SHOW recovery_min_apply_delay'), '1s')
    await scalar(topo.primary, 'CREATE TABLE delayed (id int)')
    const took = await waitFor(async () => (await hasTable(replica(0), 'delayed')) === true)
    assert.ok(took >= APPLY_DELAY_MS - 100, `visible on the replica after ${took} ms`)
  })

  test('stop(replica, immediate) stops it alone; start() brings it back as a standby that catches up', async () => {
    const r = replica(0)
    const pid = r.pid()
    assert.ok(pid !== undefined)
    const processes = [pid, ...childPids(pid)]
    await topo.stop(r, 'immediate')
    assert.deepEqual(processes.filter(isAlive), [], 'the postmaster and all its children are gone')
    assert.equal(r.pid(), undefined)
    await assert.rejects(inRecovery(r), { code: 'ECONNREFUSED' })
    await topo.stop(r, 'immediate') // already stopped: nothing to do
    await scalar(topo.primary, 'CREATE TABLE while_down (id int)')
    assert.equal(await inRecovery(replica(1)), true, 'the other replica is untouched')

    await topo.start(r)
    assert.equal(r.role, 'replica')
    assert.equal(await inRecovery(r), true)
    await waitFor(async () => (await hasTable(r, 'while_down')) === true)
    await assert.rejects(topo.start(r), /replica1 \(port \d+\) is already running/)
  })

  test('stop(primary, fast) leaves the replicas up, readable and in recovery', async () => {
    await scalar(topo.primary, 'CREATE TABLE before_stop (id int)')
    await topo.stop(topo.primary, 'fast')
    assert.equal(topo.primary.pid(), undefined)
    for (const r of topo.replicas) {
      assert.equal(await inRecovery(r), true)
      // A fast shutdown sends the replicas all of its WAL, so the last commit arrives too.
      await waitFor(async () => (await hasTable(r, 'before_stop')) === true)
    }
  })

  test('promote(replica) makes it a writable primary; the other replica stays a standby', async () => {
    const [promoted, other] = [replica(0), replica(1)]
    await topo.promote(promoted)
    assert.equal(promoted.role, 'primary')
    assert.equal(await inRecovery(promoted), false)
    await scalar(promoted, 'CREATE TABLE after_promote (id int)')
    assert.equal(await inRecovery(other), true)
    await assert.rejects(topo.promote(promoted), /replica1: only a replica can be promoted/)
    await assert.rejects(topo.promote(topo.primary), /primary: only a replica can be promoted/)
  })

  test('a promoted server starts again as a primary', async () => {
    const promoted = replica(0)
    // Not restart(): kill -9 loses the commits of the last wal_writer_delay (synchronous_commit = off).
    await topo.stop(promoted, 'fast')
    await topo.start(promoted)
    assert.equal(await inRecovery(promoted), false)
    assert.equal(await hasTable(promoted, 'after_promote'), true)
  })

  test('servers of another topology, or none, are refused', async () => {
    const stranger = { ...replica(1), dataDir: '/nowhere' }
    await assert.rejects(topo.stop(stranger, 'fast'), /does not belong to the topology/)
    const missing = topo.replicas[5] as PgServer
    await assert.rejects(topo.stop(missing, 'fast'), /server undefined does not belong/)
  })
})
