import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { serializeQuery } from '../../gateway/src/protocol/frontend.js'
import { FIRST_PROCESS_ID } from '../../gateway/src/util/process-ids.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

/** A CopyData message carrying `text`. */
function copyData(text: string): Buffer {
  const body = Buffer.from(text)
  const out = Buffer.alloc(5 + body.length)
  out[0] = 0x64
  out.writeUInt32BE(4 + body.length, 1)
  body.copy(out, 5)
  return out
}

/** A node-postgres client with a startup `options` string; `await using` ends it. */
async function clientWithOptions(url: string, options: string): Promise<pg.Client & AsyncDisposable> {
  const client = new pg.Client({ connectionString: url, options }) as pg.Client & AsyncDisposable
  client.on('error', () => {})
  await client.connect()
  client[Symbol.asyncDispose] = async () => {
    await client.end().catch(() => {})
  }
  return client
}

/** One row of current settings, read in one statement. */
async function settingsOf(c: pg.Client): Promise<Record<string, string>> {
  const r = await c.query(
    `select current_setting('work_mem') as work_mem, current_setting('search_path') as search_path,
            current_setting('app.who', true) as who, current_setting('statement_timeout') as statement_timeout,
            pg_backend_pid() as pid`,
  )
  return r.rows[0]
}

/** The (database, user) pool of the scram user. */
function scramPool(gw: TestGateway) {
  const t = topology()
  return gw.gateway.pools.get(t.database, t.users.scram.username)!
}

/** Waits until `pins()` reads `n` (the probe after a transaction answers a moment after its reply). */
async function pinsReach(pins: () => number, n: number, what: string): Promise<void> {
  for (let i = 0; i < 100 && pins() !== n; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(pins(), n, what)
}

/** Cuts a client's socket without a Terminate, as a crashed process or a dropped network would. */
function vanish(c: pg.Client): void {
  ;(c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
}

describe('transaction mode: every setting follows its client (pool of 2, 20 clients)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 2 })
  })
  after(() => gw.stop())

  it('startup options, SET, set_config, SET LOCAL, RESET and search_path read back as the client set them', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clientWithOptions(gw.url(), `-c work_mem=${i + 1}MB --search-path=s${i}`),
      ),
    )
    try {
      const pids = new Set<number>()
      await Promise.all(
        clients.map(async (c, i) => {
          await c.query(`select set_config('app.who', 'c${i}', false)`)
          await c.query(`set statement_timeout = '${i + 1}s'`)
        }),
      )
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          clients.map(async (c, i) => {
            const s = await settingsOf(c)
            pids.add(s.pid as unknown as number)
            assert.deepEqual(
              [s.work_mem, s.search_path, s.who, s.statement_timeout],
              [`${i + 1}MB`, `s${i}`, `c${i}`, `${i + 1}s`],
              `client ${i}, round ${round}`,
            )
            await c.query('begin')
            await c.query(`set local work_mem = '${100 + i}MB'`)
            assert.equal((await settingsOf(c)).work_mem, `${100 + i}MB`)
            await c.query('commit')
            assert.equal((await settingsOf(c)).work_mem, `${i + 1}MB`, 'SET LOCAL ended with its transaction')
          }),
        )
      }
      assert.ok(pids.size <= 2, `20 clients shared the pool of 2 (${pids.size} backends)`)
      // RESET brings back the startup value, RESET ALL every startup value, as on a backend of one's own.
      await Promise.all(
        clients.map(async (c, i) => {
          await c.query(`set work_mem = '77MB'`)
          await c.query('reset work_mem')
          assert.equal((await settingsOf(c)).work_mem, `${i + 1}MB`)
          await c.query('reset all')
          const s = await settingsOf(c)
          assert.deepEqual([s.work_mem, s.search_path, s.statement_timeout], [`${i + 1}MB`, `s${i}`, '0'])
        }),
      )
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})))
    }
  })

  it('SET ROLE follows its client and never reaches another (role is not in pg_settings)', async () => {
    const user = topology().users.scram.username
    await using admin = await pgClient(directUrl())
    await admin.query('drop role if exists tp_reader')
    await admin.query('create role tp_reader')
    await admin.query(`grant tp_reader to ${user}`)
    const clients = await Promise.all(Array.from({ length: 6 }, () => pgClient(gw.url())))
    try {
      await clients[0]!.query('set role tp_reader')
      for (let round = 0; round < 5; round++) {
        const users = await Promise.all(
          clients.map(async (c) => (await c.query('select current_user as u')).rows[0].u),
        )
        assert.deepEqual(users, ['tp_reader', ...Array(5).fill(user)], `round ${round}`)
      }
      await clients[0]!.query('reset role')
      assert.equal((await clients[0]!.query('select current_user as u')).rows[0].u, user)
    } finally {
      await Promise.all(clients.map((c) => c.end()))
      await admin.query('drop role if exists tp_reader')
    }
  })

  it('a SET rolled back with its transaction leaves nothing, as on a backend', async () => {
    await using a = await pgClient(gw.url())
    const before = (await settingsOf(a)).work_mem
    await a.query('begin')
    await a.query(`set work_mem = '55MB'`)
    await a.query('rollback')
    assert.equal((await settingsOf(a)).work_mem, before)
  })

  it('a startup value the server refuses is refused at login with its own error, as direct', async () => {
    const direct = await clientWithOptions(directUrl(), '-c work_mem=lots').catch((e) => e)
    const viaGateway = await clientWithOptions(gw.url(), '-c work_mem=lots').catch((e) => e)
    assert.equal(direct.code, '22023')
    assert.equal(viaGateway.code, direct.code)
    assert.equal(viaGateway.message, direct.message)
    assert.equal(viaGateway.severity, 'FATAL')
    const unknown = await clientWithOptions(gw.url(), '-c no_such_setting=1').catch((e) => e)
    assert.equal(unknown.code, '42704')
  })

  it('process ids handed to clients are above every real pid', async () => {
    await using a = await pgClient(gw.url())
    assert.ok((a as unknown as { processID: number }).processID >= FIRST_PROCESS_ID)
  })
})

describe('transaction mode: values are quoted for whatever the server connection is set to', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 1 })
  })
  after(() => gw.stop())

  it('a value with quotes and backslashes follows its client onto a connection with standard_conforming_strings off', async () => {
    await using a = await pgClient(gw.url())
    await using b = await pgClient(gw.url())
    const value = `it's a \\ back\\slash'; select 'injected`
    const read = async (c: pg.Client) =>
      (
        await c.query(
          `select current_setting('app.tricky', true) as v, current_setting('standard_conforming_strings') as s`,
        )
      ).rows[0]
    await a.query('set standard_conforming_strings = off')
    await a.query(`select set_config('app.tricky', $1, false)`, [value])
    // b leaves the one connection with standard_conforming_strings off and without a's value, so a's
    // value is set again on a connection that reads its literal with backslash escapes.
    await b.query('set standard_conforming_strings = off')
    assert.notEqual((await read(b)).v, value)
    assert.deepEqual(await read(a), { v: value, s: 'off' })
  })
})

describe('transaction mode: state that lives on one connection pins its client', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 2 })
  })
  after(() => gw.stop())

  it('a temp table used across 50 transactions while 20 clients run; the pool shares again after DROP', async () => {
    const pool = scramPool(gw)
    const before = pool.pins.total
    await using owner = await pgClient(gw.url())
    const others = await Promise.all(Array.from({ length: 20 }, () => pgClient(gw.url())))
    try {
      await owner.query('create temp table scratch (n int)')
      await pinsReach(() => pool.pins.current, 1, 'pinned by its temp table')
      let stop = false
      const load = Promise.all(
        others.map(async (c) => {
          let n = 0
          while (!stop) {
            await c.query('select 1')
            n++
          }
          return n
        }),
      )
      for (let i = 0; i < 50; i++) await owner.query('insert into scratch values ($1)', [i])
      const sum = await owner.query('select count(*)::int as n, sum(n)::int as s from scratch')
      assert.deepEqual(sum.rows[0], { n: 50, s: 1225 })
      stop = true
      const counts = await load
      assert.ok(
        counts.every((n) => n > 0),
        'the other 20 clients ran meanwhile on the other connection',
      )
      await owner.query('drop table scratch')
      await pinsReach(() => pool.pins.current, 0, 'unpinned once its last temp table was dropped')
      assert.equal(pool.pins.total, before + 1)
      // Back to sharing: the owner's next transactions may land on either connection.
      const pids = new Set<number>()
      for (let i = 0; i < 20; i++) {
        const [a, b] = await Promise.all([
          owner.query('select pg_backend_pid() as p'),
          others[0]!.query('select pg_backend_pid() as p, pg_sleep(0.01)'),
        ])
        pids.add(a.rows[0].p)
        pids.add(b.rows[0].p)
      }
      assert.equal(pids.size, 2)
    } finally {
      await Promise.all(others.map((c) => c.end()))
    }
  })

  it('an advisory lock, a WITH HOLD cursor and SQL PREPARE pin until released', async () => {
    const pool = scramPool(gw)
    await using a = await pgClient(gw.url())
    const cases: Array<[string, string]> = [
      ['select pg_advisory_lock(777)', 'select pg_advisory_unlock(777)'],
      ['declare held cursor with hold for select 1', 'close held'],
      ['prepare mine as select 1', 'deallocate mine'],
    ]
    for (const [take, release] of cases) {
      await a.query(take)
      await pinsReach(() => pool.pins.current, 1, take)
      await a.query('select 1')
      assert.equal(pool.pins.current, 1, `${take}: still pinned`)
      await a.query(release)
      await pinsReach(() => pool.pins.current, 0, release)
    }
  })

  it('a pinned client that leaves frees its pin and its state', async () => {
    const pool = scramPool(gw)
    const a = await pgClient(gw.url())
    await a.query('create temp table gone_with_me (x int)')
    const pid = (await a.query('select pg_backend_pid() as p')).rows[0].p
    await pinsReach(() => pool.pins.current, 1, 'pinned')
    await a.end()
    for (let i = 0; i < 50 && pool.pins.current > 0; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(pool.pins.current, 0)
    await using admin = await pgClient(directUrl())
    const left = await admin.query(
      `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relname = 'gone_with_me' and n.nspname like 'pg_temp%'`,
    )
    assert.equal(left.rows[0].n, 0, `backend ${pid} dropped the temp table`)
  })
})

describe('connection recovery: a client that vanishes mid-transaction or mid-result', () => {
  let gw: TestGateway
  before(async () => {
    await using admin = await pgClient(directUrl())
    await admin.query('create table if not exists recovery_t (n int)')
    await admin.query(`grant all on recovery_t to ${topology().users.scram.username}`)
    await admin.query(`grant all on recovery_t to ${topology().users.trust.username}`)
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 1 })
  })
  after(async () => {
    await gw.stop()
    await using admin = await pgClient(directUrl())
    await admin.query('drop table if exists recovery_t')
  })

  it('mid-transaction: rolled back, and the same backend serves the next client', async () => {
    const a = await pgClient(gw.url())
    await a.query('begin')
    const pid = (await a.query('select pg_backend_pid() as p')).rows[0].p
    await a.query('insert into recovery_t values (1)')
    vanish(a)
    await using b = await pgClient(gw.url())
    assert.equal((await b.query('select pg_backend_pid() as p')).rows[0].p, pid)
    assert.equal((await b.query('select count(*)::int as n from recovery_t')).rows[0].n, 0)
  })

  it('mid-COPY FROM STDIN: the COPY is failed, nothing is loaded, the same backend serves the next client', async () => {
    await using first = await pgClient(gw.url('trust'))
    const pid = (await first.query('select pg_backend_pid() as p')).rows[0].p
    await first.end()
    const raw = await RawSocket.login(gw.port)
    raw.write(serializeQuery('copy recovery_t from stdin'))
    await raw.until(() => raw.messages.some((m) => m.code === 'G'))
    raw.write(Buffer.concat([copyData('41\n'), copyData('42\n')]))
    await new Promise((r) => setTimeout(r, 50))
    raw.destroy()
    await using b = await pgClient(gw.url('trust'))
    assert.equal((await b.query('select pg_backend_pid() as p')).rows[0].p, pid)
    assert.equal((await b.query('select count(*)::int as n from recovery_t')).rows[0].n, 0)
  })

  it('mid-result: the query is cancelled and drained, the same backend serves the next client', async () => {
    await using first = await pgClient(gw.url())
    const pid = (await first.query('select pg_backend_pid() as p')).rows[0].p
    await first.end()
    const a = new pg.Client({ connectionString: gw.url() })
    a.on('error', () => {})
    await a.connect()
    const rows = new Promise<void>((resolve) => {
      const stream = a.query(new pg.Query(`select g, repeat('x', 1000) from generate_series(1, 5000000) g`))
      stream.on('row', () => resolve())
      stream.on('error', () => {})
    })
    await rows
    vanish(a)
    const started = Date.now()
    await using b = await pgClient(gw.url())
    assert.equal((await b.query('select pg_backend_pid() as p')).rows[0].p, pid)
    assert.ok(Date.now() - started < 4000, 'recovered well within server_recovery_timeout')
  })
})

describe('session mode: startup parameters pass through, and the backend is the client’s own', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'session', poolSize: 3 })
  })
  after(() => gw.stop())

  it('options, RESET and pg_settings.source read as direct', async () => {
    const sql = `select current_setting('work_mem') as w, current_setting('intervalstyle') as i,
                 (select source from pg_settings where name = 'work_mem') as src`
    const results = []
    for (const url of [directUrl(), gw.url('scram')]) {
      await using c = await clientWithOptions(url, '-c work_mem=24MB -c intervalstyle=postgres_verbose')
      const first = (await c.query(sql)).rows[0]
      await c.query(`set work_mem = '1MB'`)
      await c.query('reset work_mem')
      results.push([first, (await c.query(sql)).rows[0]])
    }
    assert.deepEqual(results[1], results[0])
    assert.deepEqual(results[0]![1], { w: '24MB', i: 'postgres_verbose', src: 'client' })
  })

  it('the client sees its backend’s real pid, and pg_terminate_backend of it ends its own session', async () => {
    const c = await pgClient(gw.url())
    const pid = (await c.query('select pg_backend_pid() as p')).rows[0].p
    assert.equal((c as unknown as { processID: number }).processID, pid)
    await using admin = await pgClient(directUrl())
    await admin.query('select pg_terminate_backend($1)', [pid])
    await assert.rejects(c.query('select 1'))
    await c.end().catch(() => {})
  })

  it('a connection opened for other options is not lent to a client without them', async () => {
    await using a = await clientWithOptions(gw.url(), '-c work_mem=33MB')
    const pidA = (await a.query('select pg_backend_pid() as p')).rows[0].p
    await a.end()
    // Its connection is reset (server_reset_query) before it is idle again.
    const servers = scramPool(gw).primary(0)
    await pinsReach(
      () => servers.idle.filter((s) => s.startupKey.includes('33MB')).length,
      1,
      'the reset connection',
    )
    await using b = await pgClient(gw.url())
    const r = (await b.query(`select pg_backend_pid() as p, current_setting('work_mem') as w`)).rows[0]
    assert.notEqual(r.w, '33MB')
    assert.notEqual(r.p, pidA)
    await using c = await clientWithOptions(gw.url(), '-c work_mem=33MB')
    assert.equal(
      (await c.query('select pg_backend_pid() as p')).rows[0].p,
      pidA,
      'reused by a client with the same options',
    )
  })
})

describe('switches: session_server_reuse and notification_listener off', () => {
  it('session_server_reuse = false: every session gets a backend of its own', async () => {
    const gw = await startTestGateway({
      poolMode: 'session',
      poolSize: 1,
      general: 'session_server_reuse = false',
    })
    try {
      const pids: number[] = []
      for (let i = 0; i < 3; i++) {
        await using c = await pgClient(gw.url())
        pids.push((await c.query('select pg_backend_pid() as p')).rows[0].p)
      }
      assert.equal(new Set(pids).size, 3, `three sessions, three backends: ${pids}`)
    } finally {
      await gw.stop()
    }
  })

  it('notification_listener = false: LISTEN goes to the server and pins the client', async () => {
    const gw = await startTestGateway({
      poolMode: 'transaction',
      poolSize: 2,
      general: 'notification_listener = false',
    })
    try {
      const pool = scramPool(gw)
      await using c = await pgClient(gw.url())
      await c.query('listen on_the_server')
      await pinsReach(() => pool.pins.current, 1, 'pinned by its LISTEN')
      const channels = await c.query('select pg_listening_channels() as ch')
      assert.deepEqual(
        channels.rows.map((r) => r.ch),
        ['on_the_server'],
      )
      await c.query('unlisten *')
      await pinsReach(() => pool.pins.current, 0, 'unpinned by UNLISTEN')
    } finally {
      await gw.stop()
    }
  })
})
