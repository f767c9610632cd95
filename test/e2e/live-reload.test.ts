/**
 * Live reload and PAUSE/RESUME of the `skiff` command under load (issue 21, acceptance 2): while 16
 * pgbench clients run, a reload (SIGHUP and the admin console's RELOAD) changes pool_size and adds a
 * pool, a broken file is rejected with its key and reason while the old config keeps serving, and
 * PAUSE holds new transactions until RESUME. pgbench must report no failed transaction and no aborted
 * client, and no transaction may be cut in the middle.
 * @module
 */
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { pgClient, pgTool, type RunResult, run } from '../helpers/clients.js'
import { testConfigText } from '../helpers/gateway.js'
import { type SkiffProcess, startSkiffProcess } from '../helpers/skiff-process.js'
import { directUrl, topology } from '../helpers/topology.js'

const DB = 'skiff_reload'
const EXTRA = 'skiff_reload_extra'
const dir = mkdtempSync(path.join(tmpdir(), 'skiff-reload-'))
const configFile = path.join(dir, 'skiff.toml')
/** Two rows per transaction: an odd count means one was cut in the middle. */
const SCRIPT = `BEGIN;
INSERT INTO reload_rows (client) VALUES (:client_id);
SELECT pg_sleep(0.005);
INSERT INTO reload_rows (client) VALUES (:client_id);
COMMIT;
`
const ADMIN = { user: 'skiff_admin', password: 'skiff_admin_pw', database: 'pgbouncer' }

/** The config with `poolSize` for DB's users, and the EXTRA pool (same server database) when asked. */
function configText(poolSize: number, extraPool: boolean): string {
  const main = testConfigText({ database: DB, poolSize })
  if (!extraPool) return main
  const extra = testConfigText({ database: EXTRA, serverDatabase: DB, poolSize: 2 })
  return main + extra.slice(extra.indexOf(`[pools.${EXTRA}]`))
}

function url(port: number, database = DB): string {
  const u = topology().users.scram
  return `postgres://${u.username}:${encodeURIComponent(u.password)}@127.0.0.1:${port}/${database}`
}

/** Server connections Skiff holds to DB for the pgbench user (as Postgres sees them). */
async function serverConnections(): Promise<number> {
  await using c = await pgClient(directUrl())
  const r = await c.query(
    "select count(*)::int as n from pg_stat_activity where datname = $1 and usename = $2 and backend_type = 'client backend'",
    [DB, topology().users.scram.username],
  )
  return r.rows[0].n as number
}

async function rowCount(): Promise<number> {
  await using c = await pgClient(directUrl(DB))
  return Number((await c.query('select count(*) as n from reload_rows')).rows[0].n)
}

/** Polls `probe` until `ok` holds of its value or `ms` pass; returns the last value. */
async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (ok(value) || Date.now() > deadline) return value
    await sleep(100)
  }
}

async function admin(port: number, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: '127.0.0.1', port, ...ADMIN })
  await c.connect()
  try {
    return await c.query(sql)
  } finally {
    await c.end()
  }
}

/** Starts pgbench with 16 clients for `seconds` against Skiff. */
function pgbench(port: number, seconds: number): Promise<RunResult> {
  const script = path.join(dir, 'two-rows.sql')
  writeFileSync(script, SCRIPT)
  const u = topology().users.scram
  return run(
    pgTool('pgbench'),
    [
      ...['-h', '127.0.0.1', '-p', String(port), '-U', u.username],
      ...['-n', '-c', '16', '-j', '4', '-T', String(seconds), '-f', script, DB],
    ],
    { PGPASSWORD: u.password, PGCONNECT_TIMEOUT: '10' },
  )
}

/** pgbench finished with every transaction done and none cut. */
async function assertNothingFailed(r: RunResult): Promise<void> {
  assert.match(r.stdout, /number of transactions actually processed: [1-9]/, r.stdout + r.stderr)
  assert.match(r.stdout, /number of failed transactions: 0 /, r.stdout)
  assert.doesNotMatch(r.stderr, /aborted|error/i, r.stderr)
  const rows = await rowCount()
  assert.equal(rows % 2, 0, `${rows} rows: a transaction was cut in the middle`)
}

describe('live reload and PAUSE/RESUME under a 16-client pgbench load', () => {
  let skiff: SkiffProcess

  before(async () => {
    const user = topology().users.scram.username
    {
      await using su = await pgClient(directUrl())
      await su.query(`drop database if exists ${DB} with (force)`)
      await su.query(`create database ${DB} owner ${user}`)
    }
    {
      await using db = await pgClient(directUrl(DB))
      await db.query('create table reload_rows (id bigserial primary key, client int not null)')
      await db.query(`alter table reload_rows owner to ${user}`)
    }
    writeFileSync(configFile, configText(3, false))
    skiff = await startSkiffProcess(configFile)
  })

  after(async () => {
    skiff?.child.kill('SIGKILL')
    await skiff?.exited
  })

  it('SIGHUP: a changed pool_size and an added pool apply; a broken file keeps the old config', async () => {
    const load = pgbench(skiff.port, 12)
    await sleep(1500)
    assert.ok((await rowCount()) > 0, 'pgbench is running')
    assert.ok((await serverConnections()) <= 3, 'pool_size 3 before the reload')
    await assert.rejects(pgClient(url(skiff.port, EXTRA)), { code: '3D000' })

    // A good file: pool_size 3 → 8, and a new pool.
    writeFileSync(configFile, configText(8, true))
    let mark = skiff.output().length
    skiff.child.kill('SIGHUP')
    const reloaded = await skiff.waitFor(/^.*config reloaded.*$/m, mark)
    assert.match(reloaded[0], new RegExp(`pool ${DB}/\\w+ changed`))
    assert.match(reloaded[0], new RegExp(`pool ${EXTRA}/\\w+ added`))
    const grown = await until(serverConnections, (n) => n > 3)
    assert.ok(grown > 3, `16 clients use more than the old pool_size 3 after the reload (${grown})`)
    {
      await using extra = await pgClient(url(skiff.port, EXTRA))
      const r = await extra.query('select current_database() as db')
      assert.equal(r.rows[0].db, DB, 'the added pool serves')
    }

    // A broken file: rejected, named by key and reason, and the running config goes on serving.
    writeFileSync(configFile, configText(8, true).replace(/pool_size = 8/, 'pool_size = "eight"'))
    mark = skiff.output().length
    skiff.child.kill('SIGHUP')
    const rejected = await skiff.waitFor(/^.*reload rejected.*$/m, mark)
    assert.match(rejected[0], new RegExp(`pools\\.${DB}\\.users\\.0\\.pool_size`))
    assert.match(rejected[0], /number/i, 'the reason says what the value should be')
    {
      await using still = await pgClient(url(skiff.port, EXTRA))
      await still.query('select 1')
    }
    await assertNothingFailed(await load)
  })

  it('admin RELOAD reports its changes; PAUSE holds new transactions until RESUME', async () => {
    const load = pgbench(skiff.port, 10)
    await sleep(1000)
    writeFileSync(configFile, configText(6, false))
    const reload = await admin(skiff.port, 'RELOAD')
    assert.equal(reload.command, 'RELOAD')
    assert.ok((await until(serverConnections, (n) => n <= 6)) <= 6, 'pool_size 6 after RELOAD')
    await assert.rejects(pgClient(url(skiff.port, EXTRA)), { code: '3D000' }, 'the removed pool is gone')

    await admin(skiff.port, `PAUSE ${DB}`)
    // PAUSE returned: nothing of DB is in flight, and nothing new starts.
    const frozen = await rowCount()
    const late = (async () => {
      const c = await pgClient(url(skiff.port))
      try {
        return (await c.query('select 42 as v')).rows[0].v as number
      } finally {
        await c.end()
      }
    })()
    const raced = await Promise.race([late, sleep(800).then(() => 'held' as const)])
    assert.equal(raced, 'held', 'a new query waits while paused')
    assert.equal(await rowCount(), frozen, 'no transaction ran while paused')
    await admin(skiff.port, `RESUME ${DB}`)
    assert.equal(await late, 42, 'the held query ran after RESUME')
    await assertNothingFailed(await load)
  })

  it('a client listening through a pool that a reload replaced still gets its notifications', async () => {
    const listener = new pg.Client(url(skiff.port))
    await listener.connect()
    const got: string[] = []
    listener.on('notification', (n) => got.push(n.payload ?? ''))
    await listener.query('LISTEN reload_channel')
    writeFileSync(configFile, configText(5, false))
    const mark = skiff.output().length
    skiff.child.kill('SIGHUP')
    await skiff.waitFor(/^.*config reloaded.*$/m, mark)
    await sleep(2500) // upkeep runs every second: a drained old pool would be closed by now
    {
      await using direct = await pgClient(directUrl(DB))
      await direct.query("NOTIFY reload_channel, 'after the reload'")
    }
    await until(
      async () => got.length,
      (n) => n > 0,
      5000,
    )
    assert.deepEqual(got, ['after the reload'])
    await listener.end()
  })
})
