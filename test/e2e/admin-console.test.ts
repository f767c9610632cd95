/**
 * The admin console (issue 21, first slice): database pgcat / pgbouncer / skiff as
 * general.admin_username is answered by the gateway itself, with PgBouncer's column names.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { pgTool, run } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

const ADMIN = { user: 'skiff_admin', password: 'skiff_admin_pw' }

const COLUMNS: Record<string, string[]> = {
  HELP: ['command', 'description'],
  VERSION: ['version'],
  POOLS: [
    'database',
    'user',
    'pool_mode',
    'cl_idle',
    'cl_active',
    'cl_waiting',
    'cl_cancel_req',
    'sv_active',
    'sv_idle',
    'sv_used',
    'sv_tested',
    'sv_login',
    'maxwait',
    'maxwait_us',
    'cl_pinned',
  ],
  DATABASES: [
    'name',
    'host',
    'port',
    'database',
    'force_user',
    'pool_size',
    'min_pool_size',
    'reserve_pool',
    'pool_mode',
    'max_connections',
    'current_connections',
    'paused',
    'disabled',
  ],
  CLIENTS: [
    'client_id',
    'database',
    'user',
    'application_name',
    'state',
    'transaction_count',
    'query_count',
    'error_count',
    'age_seconds',
    'maxwait',
    'maxwait_us',
  ],
  SERVERS: [
    'server_id',
    'database_name',
    'user',
    'address_id',
    'application_name',
    'state',
    'transaction_count',
    'query_count',
    'bytes_sent',
    'bytes_received',
    'age_seconds',
    'prepare_cache_hit',
    'prepare_cache_miss',
    'prepare_cache_eviction',
    'prepare_cache_size',
  ],
  USERS: ['name', 'pool_mode'],
  CONFIG: ['key', 'value', 'default', 'changeable'],
}

describe('admin console', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(async () => {
    await gw?.stop()
  })

  function admin(database = 'pgcat', password = ADMIN.password, user = ADMIN.user): pg.Client {
    return new pg.Client({ host: '127.0.0.1', port: gw.port, database, user, password })
  }

  async function query(sql: string, database = 'pgcat'): Promise<pg.QueryResult> {
    const c = admin(database)
    await c.connect()
    try {
      return await c.query(sql)
    } finally {
      await c.end()
    }
  }

  async function pools(): Promise<Record<string, unknown>> {
    const r = await query('SHOW POOLS')
    const db = topology().database
    const row = r.rows.find((x) => x.database === db && x.user === topology().users.scram.username)
    assert.ok(row, 'a row for the scram user')
    return row
  }

  for (const [command, columns] of Object.entries(COLUMNS)) {
    it(`SHOW ${command} returns its columns`, async () => {
      const r = await query(`show ${command.toLowerCase()};`)
      assert.equal(r.command, 'SHOW')
      assert.deepEqual(
        r.fields.map((f) => f.name),
        columns,
      )
    })
  }

  it('answers on pgbouncer too; "skiff" stays the pool of that name', async () => {
    assert.equal(topology().database, 'skiff')
    for (const db of ['pgbouncer']) {
      const r = await query('SHOW VERSION', db)
      assert.match(String(r.rows[0].version), /^Skiff /)
    }
    const u = topology().users.scram
    const app = new pg.Client({
      host: '127.0.0.1',
      port: gw.port,
      database: 'skiff',
      user: u.username,
      password: u.password,
    })
    await app.connect()
    assert.equal((await app.query('select 1 as one')).rows[0].one, 1)
    await app.end()
  })

  it('SHOW POOLS counts a client that holds a server', async () => {
    const u = topology().users.scram
    const app = new pg.Client({
      host: '127.0.0.1',
      port: gw.port,
      database: topology().database,
      user: u.username,
      password: u.password,
    })
    await app.connect()
    try {
      await app.query('begin')
      await app.query('select 1')
      const busy = await pools()
      assert.equal(Number(busy.cl_active), 1)
      assert.equal(Number(busy.sv_active), 1)
      const clients = await query('SHOW CLIENTS')
      assert.ok(clients.rows.some((r) => r.user === u.username && r.state === 'active'))
      await app.query('commit')
      const free = await pools()
      assert.equal(Number(free.cl_active), 0)
      assert.equal(Number(free.sv_active), 0)
      assert.ok(Number(free.sv_idle) >= 1)
      assert.equal(Number(free.cl_idle), 1)
    } finally {
      await app.end()
    }
  })

  it('SHOW CONFIG masks the admin password', async () => {
    const r = await query('SHOW CONFIG')
    const pw = r.rows.find((x) => x.key === 'admin_password')
    assert.equal(pw?.value, '<redacted>')
    assert.ok(!JSON.stringify(r.rows).includes(ADMIN.password))
    assert.equal(r.rows.find((x) => x.key === 'admin_username')?.value, ADMIN.user)
  })

  it('an unknown command gets 42601, plain SQL 0A000, and the session goes on', async () => {
    const c = admin()
    await c.connect()
    try {
      await assert.rejects(c.query('SHOW NONSENSE'), (e: pg.DatabaseError) => {
        assert.equal(e.code, '42601')
        assert.match(e.message, /SHOW NONSENSE/)
        assert.match(e.hint ?? '', /SHOW HELP/)
        return true
      })
      await assert.rejects(c.query('select 1'), (e: pg.DatabaseError) => {
        assert.equal(e.code, '0A000')
        assert.match(e.message, /see SHOW HELP/)
        return true
      })
      // The extended protocol runs commands, but they take no parameters: 0A000, not a hang.
      await assert.rejects(c.query({ text: 'SHOW POOLS', values: [1] }), (e: pg.DatabaseError) => {
        assert.equal(e.code, '0A000')
        return true
      })
      const r = await c.query('SHOW USERS')
      assert.ok(r.rows.length > 0)
    } finally {
      await c.end()
    }
  })

  it('another user on the admin database gets FATAL 28000', async () => {
    const u = topology().users.scram
    const c = admin('pgcat', u.password, u.username)
    await assert.rejects(c.connect(), (e: pg.DatabaseError) => {
      assert.equal(e.code, '28000')
      return true
    })
  })

  it('a wrong admin password gets 28P01', async () => {
    const c = admin('pgcat', 'wrong')
    await assert.rejects(c.connect(), (e: pg.DatabaseError) => {
      assert.equal(e.code, '28P01')
      return true
    })
  })

  it('psql -c SHOW POOLS with -A and -x', async () => {
    const r = await run(
      pgTool('psql'),
      [
        '-X',
        '-A',
        '-x',
        '-c',
        'SHOW POOLS',
        `host=127.0.0.1 port=${gw.port} dbname=pgcat user=${ADMIN.user}`,
      ],
      { PGPASSWORD: ADMIN.password, PGSSLMODE: 'disable' },
      30_000,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^database\|/m)
    assert.match(r.stdout, /^cl_active\|/m)
    assert.match(r.stdout, /^maxwait_us\|/m)
  })
})

describe('admin console with admin_auth_type = "scram-sha-256"', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ general: 'admin_auth_type = "scram-sha-256"' })
  })
  after(async () => {
    await gw?.stop()
  })

  it('logs in by SCRAM and answers; a wrong password gets 28P01', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.port, database: 'pgbouncer', ...ADMIN })
    await c.connect()
    try {
      const r = await c.query('show help')
      assert.ok(r.rows.some((x) => x.command === 'SHOW POOLS'))
    } finally {
      await c.end()
    }
    const bad = new pg.Client({
      host: '127.0.0.1',
      port: gw.port,
      database: 'pgbouncer',
      user: ADMIN.user,
      password: 'nope',
    })
    await assert.rejects(bad.connect(), (e: pg.DatabaseError) => e.code === '28P01')
  })
})
