/**
 * The server monitor and the commit LSN against real Postgres: the shared topology's primary and
 * streaming replicas (roles, LSNs that advance and catch up, read-your-writes by replay LSN, coalesced
 * commit-LSN queries, a terminated monitor backend, a process that exits with a monitor running), and
 * a private primary with one replica under `recovery_min_apply_delay = '2s'` (the lag it shows).
 * Timings measured are printed as test diagnostics.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { replayedUpTo } from '../../gateway/src/pool/lsn.js'
import { bytesBehind } from '../../gateway/src/pool/replica-freshness.js'
import { READING_SQL } from '../../gateway/src/pool/replication-reading.js'
import type { ServerAddress, ServerLogin } from '../../gateway/src/pool/server-address.js'
import { ServerPool, type ServerPoolSettings } from '../../gateway/src/pool/server-pool.js'
import { MEMORY_POOL_SETTINGS } from '../../gateway/src/pool/testing/memory-pool.js'
import { startTopology, type Topology } from '../../infra/src/topology.js'
import { pgClient } from '../helpers/clients.js'
import { topology } from '../helpers/topology.js'

const INTERVAL = 100

const SETTINGS: ServerPoolSettings = {
  ...MEMORY_POOL_SETTINGS,
  healthcheckTimeout: 2000,
  banTime: 60_000,
  monitorInterval: INTERVAL,
}

/** A monitored pool on 127.0.0.1:`port`, logged in as the scram user (no superuser rights needed). */
function monitoredPool(
  name: string,
  port: number,
  role: 'primary' | 'replica',
  interval = INTERVAL,
): ServerPool {
  const t = topology()
  const address: ServerAddress = { host: '127.0.0.1', port, role, database: t.database, shard: 0 }
  const { username, password } = t.users.scram
  const login: ServerLogin = {
    username,
    password,
    applicationName: 'skiff-monitor-test',
    statementTimeout: 0,
    connectTimeout: 5000,
  }
  const pool = new ServerPool(name, address, login, { ...SETTINGS, monitorInterval: interval })
  pool.monitor?.start() // as the gateway's upkeep does (ServerPool.maintain)
  return pool
}

/** Waits for `predicate`, polling (socket events do not wake `until`); resolves with the ms it took. */
async function poll(predicate: () => boolean, what: string, ms = 10_000): Promise<number> {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
  return Date.now() - started
}

/** A direct connection string as the superuser to `port`. */
function url(
  port: number,
  t: { users: { superuser: { username: string; password: string } }; database: string },
) {
  const su = t.users.superuser
  return `postgres://${su.username}:${encodeURIComponent(su.password)}@127.0.0.1:${port}/${t.database}`
}

/** The primary's insert LSN now, asked directly. */
async function insertLsn(client: pg.Client): Promise<bigint> {
  const { rows } = await client.query('SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn')
  return lsnOf(rows[0].lsn)
}

function lsnOf(text: string): bigint {
  const [high, low] = text.split('/')
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`)
}

/** The commit LSN of `pool`, as a promise. */
function commitLsn(pool: ServerPool): Promise<bigint | undefined> {
  return new Promise((resolve) => pool.commitLsn!.request(resolve))
}

describe('ServerMonitor against the shared topology', () => {
  let primary: ServerPool
  let replicas: ServerPool[]
  let direct: pg.Client & AsyncDisposable
  const replicaClients: Array<pg.Client & AsyncDisposable> = []

  before(async () => {
    const t = topology()
    const started = Date.now()
    primary = monitoredPool('monitor/primary', t.primary.port, 'primary')
    replicas = t.replicas.map((r, i) => monitoredPool(`monitor/replica${i + 1}`, r.port, 'replica'))
    direct = await pgClient(url(t.primary.port, t))
    for (const r of t.replicas) replicaClients.push(await pgClient(url(r.port, t)))
    await direct.query('CREATE TABLE IF NOT EXISTS monitor_e2e (id int PRIMARY KEY, at timestamptz)')
    await poll(() => [primary, ...replicas].every((p) => p.monitor!.reading !== undefined), 'first readings')
    console.log(`# first readings of 3 servers ${Date.now() - started} ms after the pools were made`)
  })

  after(async () => {
    for (const p of [primary, ...replicas]) p.close()
    await direct[Symbol.asyncDispose]()
    for (const c of replicaClients) await c[Symbol.asyncDispose]()
  })

  it('reads the roles: false on the primary, true on each replica; at rest the replicas are caught up, lag 0', async () => {
    assert.equal(primary.monitor!.reading!.inRecovery, false)
    assert.equal(primary.health.inRecovery, false)
    assert.equal(primary.monitor!.lagMs, 0)
    for (const r of replicas) {
      assert.equal(r.monitor!.reading!.inRecovery, true, `${r}`)
      assert.equal(r.health.inRecovery, true)
    }
    await poll(
      () =>
        replicas.every((r) => r.monitor!.lagMs === 0 && replayedUpTo(r.monitor!.lsn!, primary.monitor!.lsn!)),
      'replicas caught up at rest',
    )
    assert.equal(primary.all.size + replicas.reduce((n, r) => n + r.all.size, 0), 0, 'outside pool_size')
  })

  it('a write moves the primary LSN; each replica catches up to it and then has the row', async () => {
    const before = primary.monitor!.lsn!
    await direct.query('INSERT INTO monitor_e2e VALUES (1, now())')
    const written = await insertLsn(direct)
    assert.ok(written > before)
    const seenOnPrimary = await poll(() => primary.monitor!.lsn! >= written, 'the primary reading')
    const caughtUp: number[] = []
    for (const r of replicas) caughtUp.push(await poll(() => replayedUpTo(r.monitor!.lsn!, written), `${r}`))
    for (const c of replicaClients) {
      const { rows } = await c.query('SELECT id FROM monitor_e2e WHERE id = 1')
      assert.equal(rows.length, 1)
    }
    console.log(
      `# primary LSN seen after ${seenOnPrimary} ms; replicas caught up after ${caughtUp.join(', ')} ms`,
    )
  })

  it('read-your-writes: whenever a replica reading shows the commit LSN replayed, the row is there (20 rounds)', async () => {
    const waits: number[] = []
    for (let id = 100; id < 120; id++) {
      await direct.query('INSERT INTO monitor_e2e VALUES ($1, now())', [id])
      const lsn = await commitLsn(primary)
      assert.ok(lsn !== undefined)
      const i = id % replicas.length
      waits.push(await poll(() => replayedUpTo(replicas[i]!.monitor!.lsn!, lsn), 'the replica'))
      const { rows } = await replicaClients[i]!.query('SELECT id FROM monitor_e2e WHERE id = $1', [id])
      assert.equal(rows.length, 1, `row ${id} on replica ${i + 1}`)
    }
    waits.sort((a, b) => a - b)
    console.log(`# commit LSN seen replayed after ${waits[0]}..${waits.at(-1)} ms (median ${waits[10]})`)
  })

  it('commit LSN requests coalesce: ten made at once are two queries; each at least the LSN before', async () => {
    const floor = await insertLsn(direct)
    const counters = { ...primary.commitLsn!.counters }
    const started = performance.now()
    const lsns = await Promise.all(Array.from({ length: 10 }, () => commitLsn(primary)))
    const took = performance.now() - started
    assert.equal(primary.commitLsn!.counters.requests - counters.requests, 10)
    assert.equal(
      primary.commitLsn!.counters.queries - counters.queries,
      2,
      'the first, then one for the nine',
    )
    for (const lsn of lsns) assert.ok(lsn !== undefined && lsn >= floor)
    assert.ok(
      lsns.slice(1).every((l) => l === lsns[1]),
      'the nine share one answer',
    )
    console.log(`# ten commit LSN requests answered in ${took.toFixed(2)} ms`)
  })

  it('a commit LSN asked of a replica fails: undefined (reads then go to the primary)', async () => {
    assert.equal(await commitLsn(replicas[0]!), undefined)
  })

  it('its backend terminated between readings, the monitor reconnects at the next interval, no ban', async () => {
    const pool = monitoredPool('monitor/terminated', topology().primary.port, 'primary', 500)
    try {
      await poll(() => pool.monitor!.reading !== undefined, 'a reading')
      const pid = pool.monitor!.connection!.processId
      const readings = pool.monitor!.counters.readings
      await direct.query('SELECT pg_terminate_backend($1)', [pid])
      await poll(() => pool.monitor!.connection === undefined, 'the loss')
      const back = await poll(() => pool.monitor!.counters.readings > readings, 'a reading after', 3000)
      assert.equal(pool.monitor!.counters.connects, 2)
      assert.notEqual(pool.monitor!.connection!.processId, pid)
      assert.equal(pool.health.banned(), false)
      console.log(`# monitor back ${back} ms after its backend was terminated (interval 500 ms)`)
    } finally {
      pool.close()
    }
  })

  it('a process whose only work is a monitor exits on its own', async () => {
    const t = topology()
    const script = `
      const { ServerPool } = await import('./gateway/src/pool/server-pool.ts')
      const address = { host: '127.0.0.1', port: ${t.primary.port}, role: 'primary', database: '${t.database}', shard: 0 }
      const login = { username: ${JSON.stringify(t.users.scram.username)}, password: ${JSON.stringify(t.users.scram.password)}, applicationName: 'exit-test', statementTimeout: 0, connectTimeout: 5000 }
      const pool = new ServerPool('exit', address, login, ${JSON.stringify(SETTINGS)})
      pool.monitor.start()
      const wait = setInterval(() => {
        if (pool.monitor.reading === undefined) return
        clearInterval(wait)
        process.stdout.write(String(pool.monitor.reading.inRecovery) + '\\n')
      }, 5)
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    let readAt = 0
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      readAt ||= Date.now()
    })
    const code = await new Promise<number | null>((resolve, reject) => {
      const kill = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error('the process did not exit within 20 s'))
      }, 20_000)
      child.on('exit', (c) => {
        clearTimeout(kill)
        resolve(c)
      })
    })
    assert.equal(code, 0)
    assert.equal(out.trim(), 'false', 'it read the primary first')
    console.log(`# exited ${Date.now() - readAt} ms after its first reading, the monitor still open`)
  })
})

describe('lag under recovery_min_apply_delay (a private primary and replica)', () => {
  let topo: Topology
  let primary: ServerPool
  let replica: ServerPool
  let direct: pg.Client & AsyncDisposable
  let replicaDirect: pg.Client & AsyncDisposable
  let lastWrite = 0

  before(async () => {
    const started = Date.now()
    const settings = { recovery_min_apply_delay: "'2s'" }
    topo = await startTopology({ replicas: 1, shards: 0, pgbenchScale: 0, settings })
    console.log(`# private topology up in ${Date.now() - started} ms`)
    // The shared topology's users exist here too (same names, same passwords).
    primary = monitoredPool('delay/primary', topo.primary.port, 'primary')
    replica = monitoredPool('delay/replica', topo.replicas[0]!.port, 'replica')
    direct = await pgClient(url(topo.primary.port, topo))
    replicaDirect = await pgClient(url(topo.replicas[0]!.port, topo))
    await direct.query('CREATE TABLE delayed (id serial PRIMARY KEY)')
    lastWrite = Date.now()
  })

  after(async () => {
    primary?.close()
    replica?.close()
    await direct?.[Symbol.asyncDispose]()
    await replicaDirect?.[Symbol.asyncDispose]()
    await topo?.stop()
  })

  it('at rest: lag 0, the replica at the primary LSN', async () => {
    const took = await poll(
      () =>
        primary.monitor!.readAt > lastWrite &&
        replica.monitor!.lagMs === 0 &&
        replayedUpTo(replica.monitor!.lsn!, primary.monitor!.lsn!),
      'the replica at rest',
    )
    console.log(`# the replica at the primary LSN ${took} ms after the CREATE TABLE`)
  })

  it("one write after a quiet spell: held back ~2 s, lag bounded by the time since caught up, not the last commit's age", async () => {
    await sleep(Math.max(0, 4000 - (Date.now() - lastWrite))) // 4 s of quiet
    await direct.query('INSERT INTO delayed DEFAULT VALUES')
    const committed = Date.now()
    const lsn = (await commitLsn(primary))!
    let maxLag = 0
    let rawLag = 0
    while (!replayedUpTo(replica.monitor!.lsn!, lsn)) {
      assert.ok(Date.now() - committed < 5000, 'replayed within 5 s')
      const r = replica.monitor!.reading!
      if (r.at > committed) maxLag = Math.max(maxLag, r.lagMs ?? Number.POSITIVE_INFINITY)
      if (rawLag === 0 && Date.now() - committed > 1000) {
        const { rows } = await replicaDirect.query(READING_SQL)
        rawLag = Number(Object.values(rows[0])[2])
      }
      await sleep(5)
    }
    const heldBack = Date.now() - committed
    lastWrite = committed
    console.log(
      `# held back ${heldBack} ms; lag shown at most ${maxLag} ms; the server's own figure ${rawLag} ms`,
    )
    assert.ok(heldBack >= 1800 && heldBack < 3500, `held back ${heldBack} ms`)
    assert.ok(rawLag >= 4000, "the server's figure is the previous commit's age")
    assert.ok(maxLag >= 1000 && maxLag <= heldBack + 2 * INTERVAL + 100, `lag shown ${maxLag} ms`)
    await poll(() => replica.monitor!.lagMs === 0, 'lag 0 again')
  })

  it('a steady stream of writes: lag ~2000 ms, the replay LSN behind the primary', async () => {
    let stop = false
    const writer = (async () => {
      while (!stop) {
        await direct.query('INSERT INTO delayed DEFAULT VALUES')
        await sleep(50)
      }
    })()
    try {
      await sleep(3000)
      const samples: number[] = []
      for (let i = 0; i < 10; i++) {
        samples.push(replica.monitor!.lagMs ?? -1)
        const behind = bytesBehind(replica.monitor!.lsn!, primary.monitor!.lsn!)
        assert.ok(behind > 0, 'the replay LSN is behind')
        await sleep(INTERVAL)
      }
      console.log(`# lag under steady writes: ${samples.join(', ')} ms`)
      for (const lag of samples) assert.ok(lag >= 1800 && lag <= 2600, `lag ${lag} ms`)
    } finally {
      stop = true
      await writer
      lastWrite = Date.now()
    }
  })
})
