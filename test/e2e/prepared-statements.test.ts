import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import postgres from 'postgres'
import { parseErrorFields } from '../../gateway/src/protocol/backend-decode.js'
import { FrontendCode } from '../../gateway/src/protocol/codes.js'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { MessageWriter } from '../../gateway/src/protocol/writer.js'
import { connectMany, pgClient, pgTool, run } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

const CLIENTS = 50

describe('prepared statements in transaction mode', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 4, queryWaitTimeout: 60_000 })
  })
  after(() => gw.stop())

  const pgbench = (...args: string[]) => {
    const u = topology().users.md5
    const base = ['-h', '127.0.0.1', '-p', String(gw.port), '-U', u.username, '-n', '-M', 'prepared']
    return run(pgTool('pgbench'), [...base, ...args, topology().database], { PGPASSWORD: u.password })
  }

  for (const [label, args] of [
    ['-S', ['-S']],
    ['TPC-B', []],
  ] as const) {
    it(`pgbench -M prepared ${label}, 16 clients over a pool of 4, runs clean`, async () => {
      const r = await pgbench(...args, '-c', '16', '-j', '2', '-t', '40')
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /number of transactions actually processed: 640\/640/)
      assert.match(r.stdout, /number of failed transactions: 0 /)
      assert.doesNotMatch(r.stderr, /ERROR/)
    })
  }

  it(`postgres.js with prepare: true, ${CLIENTS} clients over a pool of 4, each gets its own results`, async () => {
    const clients = Array.from({ length: CLIENTS }, () =>
      postgres(gw.url('scram'), { max: 1, prepare: true }),
    )
    try {
      await Promise.all(
        clients.map(async (sql, i) => {
          for (let n = 0; n < 5; n++) {
            const [shared] = await sql`select ${i}::int * 1000 + ${n}::int as v`
            assert.equal(shared!.v, i * 1000 + n)
            const [own] = await sql.unsafe(`select $1::int + ${i} as v, 'client ${i}' as who`, [n], {
              prepare: true,
            })
            assert.deepEqual({ ...own }, { v: n + i, who: `client ${i}` })
            const rows = await sql.begin((tx) => [tx`select ${n}::int as a`, tx`select ${i}::text as b`])
            assert.deepEqual(
              rows.flat().map((r) => ({ ...r })),
              [{ a: n }, { b: String(i) }],
            )
          }
        }),
      )
    } finally {
      await Promise.all(clients.map((sql) => sql.end({ timeout: 5 })))
    }
  })

  it(`node-postgres named queries, ${CLIENTS} clients over a pool of 4`, async () => {
    const clients = await connectMany(gw.url('md5'), CLIENTS)
    try {
      await Promise.all(
        clients.map(async (c, i) => {
          for (let n = 0; n < 5; n++) {
            const r = await c.query({ name: 'lookup', text: 'select $1::int + $2::int as v', values: [i, n] })
            assert.equal(r.rows[0].v, i + n)
            const own = await c.query({
              name: `own_${i % 7}`,
              text: `select $1::text || '-${i % 7}' as s`,
              values: [n],
            })
            assert.equal(own.rows[0].s, `${n}-${i % 7}`)
          }
        }),
      )
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })
})

describe('prepared statements: errors, Close and DEALLOCATE, SQL PREPARE', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      poolMode: 'transaction',
      poolSize: 1,
      general: 'prepared_statements_cache_size = 2',
    })
  })
  after(() => gw.stop())

  it('a Parse with a syntax error fails at Parse, and the name then does not exist', async () => {
    const raw = await RawSocket.connect(gw.port)
    raw.write(
      serializeStartupMessage({ user: topology().users.trust.username, database: topology().database }),
    )
    await raw.until(() => raw.messages.some((m) => m.code === 'Z'))
    raw.messages.length = 0
    const w = new MessageWriter()
    w.begin(FrontendCode.Parse).cstring('bad').cstring('selec 1').int16(0).end()
    w.begin(FrontendCode.Sync).end()
    w.begin(FrontendCode.Bind).cstring('').cstring('bad').int16(0).int16(0).int16(0).end()
    w.begin(FrontendCode.Execute).cstring('').int32(0).end()
    w.begin(FrontendCode.Sync).end()
    raw.write(w.finish())
    await raw.until(() => raw.messages.filter((m) => m.code === 'Z').length === 2)
    const errors = raw.messages
      .filter((m) => m.code === 'E')
      .map((m) => parseErrorFields(m.body, 0, m.body.length).get('C'))
    assert.deepEqual(errors, ['42601', '26000'])
    assert.equal(raw.messages.map((m) => m.code).join(''), 'EZEZ')
    raw.destroy()
  })

  it('a statement evicted from the server is prepared again where it is used', async () => {
    await using c = await pgClient(gw.url())
    for (let round = 0; round < 3; round++) {
      for (const k of [1, 2, 3, 4]) {
        const r = await c.query({ name: `e${k}`, text: `select $1::int * ${k} as v`, values: [round] })
        assert.equal(r.rows[0].v, round * k)
      }
    }
    const stats = [...gw.gateway.userPools()]
      .flatMap((p) => [...p.serverPools()])
      .flatMap((sp) => [...sp.all])
    assert.ok(
      stats.some((s) => s.statements.evictions > 0 && s.statements.misses > 0),
      'evictions and misses were counted',
    )
    assert.ok(
      stats.every((s) => s.statements.size <= 2),
      'the cache stays within prepared_statements_cache_size',
    )
  })

  it('an error in an injected Parse is reported against the client statement', async () => {
    await using admin = await pgClient(directUrl())
    await admin.query('create table if not exists doomed (x int)')
    await admin.query(`grant all on doomed to ${topology().users.scram.username}`)
    await using c = await pgClient(gw.url())
    await c.query({ name: 'uses_doomed', text: 'select count(*)::int as n from doomed' })
    for (const k of [1, 2, 3]) await c.query({ name: `filler${k}`, text: `select ${k} as k` }) // evicts it
    await admin.query('drop table doomed')
    await assert.rejects(c.query({ name: 'uses_doomed', text: 'select count(*)::int as n from doomed' }), {
      code: '42P01',
      message: 'relation "doomed" does not exist',
    })
    assert.equal((await c.query('select 1 as one')).rows[0].one, 1)
  })

  it('Close and DEALLOCATE change only the calling client view', async () => {
    const sqlA = postgres(gw.url(), { max: 1 })
    await using b = await pgClient(gw.url())
    try {
      await b.query({ name: 'shared', text: 'select 42 as v' })
      await using a = await pgClient(gw.url())
      await a.query({ name: 'shared', text: 'select 42 as v' })
      await a.query('deallocate shared')
      await assert.rejects(a.query('deallocate shared'), { code: '26000' })
      assert.equal((await b.query({ name: 'shared', text: 'select 42 as v' })).rows[0].v, 42)
      await a.query({ name: 'other', text: 'select 7 as v' })
      await a.query('deallocate all')
      // pg believes 'other' is still prepared and sends only Bind: Postgres would answer 26000, so must we.
      await assert.rejects(a.query({ name: 'other', text: 'select 7 as v' }), { code: '26000' })
      assert.equal((await b.query({ name: 'shared', text: 'select 42 as v' })).rows[0].v, 42)
      assert.equal((await sqlA`select 1 as one`)[0]!.one, 1)
    } finally {
      await sqlA.end({ timeout: 5 })
    }
  })

  it('SQL PREPARE pins the client to its server connection, so EXECUTE keeps working', async () => {
    await using a = await pgClient(gw.url())
    await a.query('prepare sqlprep (int) as select $1 * 2 as v')
    assert.equal((await a.query('execute sqlprep(21)')).rows[0].v, 42)
    await a.query('begin')
    assert.equal((await a.query('execute sqlprep(5)')).rows[0].v, 10)
    await a.query('commit')
  })
})
