import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { dataRowValues, errorFields, summaries } from '../pool/testing/backend-summary.js'
import { until } from '../pool/testing/until.js'
import { MemoryGateway } from './testing/memory-gateway.js'

const gateways: MemoryGateway[] = []
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop()
})

function gateway(...args: ConstructorParameters<typeof MemoryGateway>): MemoryGateway {
  const g = new MemoryGateway(...args)
  gateways.push(g)
  return g
}

/** The single int of a one-row reply. */
function value(replies: Parameters<typeof summaries>[0]): string {
  const row = replies.find((m) => m.code === 'D')
  assert.ok(row !== undefined, `no DataRow in ${summaries(replies)}`)
  return dataRowValues(row)[0]!
}

describe('ClientSession in memory: login', () => {
  it("a trust user gets AuthenticationOk, the server's parameters, a gateway key and ReadyForQuery", async () => {
    const g = gateway({}, { params: { TimeZone: 'Europe/Paris' } })
    const client = g.connect()
    const welcome = summaries(
      await client.login({ user: 'alice', database: 'app', params: { application_name: 'probe' } }),
    )
    assert.equal(welcome[0], 'Authentication:0')
    assert.ok(welcome.includes('ParameterStatus:server_version=16.4 (fake)'))
    assert.ok(welcome.includes('ParameterStatus:TimeZone=Europe/Paris'), 'values come from the server')
    assert.ok(welcome.includes('ParameterStatus:application_name=probe'), 'and from the startup packet')
    assert.deepEqual(welcome.slice(-2), ['BackendKeyData', 'ReadyForQuery:I'])
    const key = client.messages.find((m) => m.code === 'K')!.bytes
    assert.equal(key.readInt32BE(5), client.session.processId)
    assert.ok(client.session.processId > 4_194_304, 'the gateway hands out its own process ids')
    assert.equal(client.transport.loggedIn, true)
    assert.equal(g.gateway.connectionCount, 1)
    assert.equal(g.cluster.loggedIn.length, 1, 'one server connection told the login its parameters')
  })

  it('an md5 user proves its password; a wrong one gets FATAL 28P01 and is closed', async () => {
    const g = gateway()
    assert.equal((await g.login('app', 'bob', 'bob_pw')).ended, false)
    const wrong = g.connect()
    const replies = summaries(await wrong.login({ user: 'bob', database: 'app', password: 'nope' }))
    assert.deepEqual(replies, ['Authentication:5', 'ErrorResponse:FATAL:28P01'])
    assert.equal(wrong.ended, true)
  })

  it('Terminate closes the client quietly and frees its slot', async () => {
    const g = gateway()
    const client = await g.login()
    const before = client.messages.length
    client.terminate()
    assert.equal(client.ended, true)
    assert.equal(client.messages.length, before, 'nothing is said on a Terminate')
    assert.equal(g.gateway.connectionCount, 0)
    assert.equal(g.gateway.clients.size, 0)
  })
})

describe('ClientSession in memory: transaction mode', () => {
  it('a query is answered through the pool and the connection goes back idle', async () => {
    const g = gateway({}, { maxChunk: 3 }) // and the server's replies arrive in 3-byte pieces
    const client = await g.login()
    assert.deepEqual(summaries(await client.query('select 7')), [
      'RowDescription:?column?',
      'DataRow:7',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(g.cluster.servers[0]!.queries(), ['select 7'])
    assert.equal(g.serverPool().idle.length, 1)
  })

  it('two clients share one server connection (pool_size 1), one transaction after the other', async () => {
    const g = gateway()
    const a = await g.login()
    const b = await g.login()
    assert.deepEqual(summaries(await a.query('begin')), ['CommandComplete:BEGIN', 'ReadyForQuery:T'])
    const bReply = b.query('select pg_backend_pid()')
    await until(() => g.serverPool().waiting === 1, 'b to wait for the connection a holds')
    const aPid = value(await a.query('select pg_backend_pid()'))
    assert.deepEqual(summaries(await a.query('commit')), ['CommandComplete:COMMIT', 'ReadyForQuery:I'])
    assert.equal(value(await bReply), aPid, 'b ran on the connection a gave back')
    assert.equal(g.cluster.loggedIn.length, 1)
    assert.deepEqual(g.cluster.servers[0]!.queries(), [
      'begin',
      'select pg_backend_pid()',
      'commit',
      'select pg_backend_pid()',
    ])
  })

  it('a client that vanishes mid-transaction leaves its connection rolled back for the next', async () => {
    const g = gateway()
    const a = await g.login()
    await a.query('begin')
    await a.query('insert into t values (1)')
    a.vanish()
    const fake = g.cluster.servers[0]!
    await until(() => fake.queries().at(-1) === 'ROLLBACK', 'the ROLLBACK at check-in')
    assert.equal(fake.txnStatus, 'I')
    const b = await g.login()
    assert.equal(value(await b.query('select pg_backend_pid()')), String(fake.processId))
    assert.equal(a.transport.writesAfterEnd, 0)
  })

  it('statistics: transactions, queries and time lent are counted per server connection', async () => {
    const g = gateway()
    const a = await g.login()
    await a.query('select 1')
    await a.query('begin')
    await a.query('select 2; select 3')
    await a.query('commit')
    const server = [...g.serverPool().all][0]!
    assert.equal(server.stats.xactCount, 2)
    assert.equal(server.stats.queryCount, 4, 'one per Query message')
    assert.ok(server.stats.xactTimeMicros > 0)
    assert.equal(g.serverPool().totals().xactCount, 2)
    assert.equal(
      g.serverPool().stats.checkouts,
      2,
      'one per transaction; learning server parameters at login is not one',
    )
  })

  it('a client that leaves while waiting for a connection is forgotten; its query never runs', async () => {
    const g = gateway()
    const a = await g.login()
    const b = await g.login()
    await a.query('begin')
    void b.query('select 99')
    await until(() => g.serverPool().waiting === 1, 'b to wait')
    b.vanish()
    assert.equal(g.serverPool().waiting, 0)
    await a.query('commit')
    await until(() => g.serverPool().idle.length === 1, 'the connection to go idle')
    assert.deepEqual(g.cluster.servers[0]!.queries(), ['begin', 'commit'])
  })

  it('set_config(..., true) alone needs no probe (nothing outlives the transaction); a session-level one does', async () => {
    const g = gateway()
    const a = await g.login()
    const fake = g.cluster.servers[0]!
    const probes = () =>
      fake.queries().filter((q) => q.startsWith('SELECT name, setting FROM pg_catalog.pg_settings'))
    await a.query(`select set_config('request.jwt.claims', '{"sub": "x"}', true)`)
    await until(() => g.serverPool().idle.length === 1, 'the release')
    assert.equal(probes().length, 0)
    await a.query(`select set_config('app.user', 'x', false)`)
    await until(() => probes().length === 1, 'the probe after a session-level set_config')
  })

  it("a client's SET follows it to its next server; the next client gets the server's own value back", async () => {
    const g = gateway()
    const a = await g.login()
    const b = await g.login()
    const set = summaries(await a.query("SET TimeZone = 'Asia/Tokyo'"))
    assert.deepEqual(set, ['CommandComplete:SET', 'ParameterStatus:TimeZone=Asia/Tokyo', 'ReadyForQuery:I'])
    const fake = g.cluster.servers[0]!
    await until(() => g.serverPool().idle.length === 1, 'the probe after a SET')
    assert.ok(fake.queries().at(-1)!.startsWith('SELECT name, setting FROM pg_catalog.pg_settings'))
    assert.equal(fake.params.get('TimeZone'), 'Asia/Tokyo', 'no reset until a client with other values comes')
    const shown = summaries(await b.query('show TimeZone'))
    assert.deepEqual(
      shown.slice(1),
      ['DataRow:UTC', 'CommandComplete:SHOW', 'ReadyForQuery:I'],
      'no ParameterStatus for b',
    )
    assert.equal(value(await a.query('show TimeZone')), 'Asia/Tokyo', 'applied again for a')
    assert.ok(fake.queries().includes("SELECT pg_catalog.set_config('timezone', NULL, false)"))
    assert.ok(fake.queries().includes("SELECT pg_catalog.set_config('timezone', 'Asia/Tokyo', false)"))
  })
})

describe('ClientSession in memory: a server that goes away', () => {
  it('dies mid-reply: the client gets one FATAL 08006 and is closed; another client keeps working', async () => {
    const g = gateway()
    const a = await g.login()
    const b = await g.login()
    g.cluster.servers[0]!.dieMidReply()
    const replies = summaries(await a.query('select 1'))
    assert.deepEqual(replies, ['RowDescription:?column?', 'ErrorResponse:FATAL:08006'])
    assert.equal(a.ended, true)
    assert.equal(a.transport.writesAfterEnd, 0)
    assert.deepEqual(summaries(await b.query('select 2')).slice(1, 2), ['DataRow:2'])
    assert.equal(g.cluster.loggedIn.length, 2, 'b runs on a new connection')
  })

  it("terminated mid-query: the client gets the server's own FATAL 57P01, once, then the close", async () => {
    const g = gateway()
    const a = await g.login()
    const fake = g.cluster.servers[0]!
    fake.hold()
    const reply = a.query('select 1')
    await until(() => fake.queries().length === 1, 'the query to reach the server')
    fake.terminate()
    const replies = await reply
    assert.deepEqual(summaries(replies), ['ErrorResponse:FATAL:57P01'])
    assert.equal(errorFields(replies[0]!).get('M'), 'terminating connection due to administrator command')
    assert.equal(a.ended, true)
  })

  it('a killed idle backend is replaced without the next query noticing', async () => {
    const g = gateway()
    const a = await g.login()
    const first = value(await a.query('select pg_backend_pid()'))
    g.cluster.servers[0]!.terminate()
    await until(() => g.serverPool().all.size === 0, 'the pool to drop the terminated connection')
    const second = value(await a.query('select pg_backend_pid()'))
    assert.notEqual(second, first)
    assert.equal(a.ended, false)
  })

  it('a client leaving while its query runs: the query is cancelled, its replies drained, the connection reused', async () => {
    const g = gateway()
    const a = await g.login()
    const fake = g.cluster.servers[0]!
    fake.hold()
    void a.query('select 1')
    await until(() => fake.queries().length === 1, 'the query to reach the server')
    a.vanish()
    await until(() => g.cluster.cancels.length === 1, 'the CancelRequest')
    assert.equal(g.cluster.cancels[0]!.target, fake)
    fake.release()
    await until(() => g.serverPool().idle.length === 1, 'the connection back in the pool')
    const b = await g.login()
    assert.equal(value(await b.query('select pg_backend_pid()')), String(fake.processId))
    assert.equal(g.cluster.loggedIn.length, 1)
  })

  it("a CancelRequest reaches the server with the backend's own key", async () => {
    const g = gateway()
    const a = await g.login()
    const fake = g.cluster.servers[0]!
    fake.hold()
    const reply = a.query('select 1')
    await until(() => fake.queries().length === 1, 'the query to reach the server')
    g.gateway.cancel(a.session.processId, a.session.secretKey)
    await until(() => g.cluster.cancels.length === 1, 'the CancelRequest')
    assert.equal(g.cluster.cancels[0]!.target, fake)
    fake.release()
    assert.deepEqual(summaries(await reply).slice(-1), ['ReadyForQuery:I'])
  })
})

describe('ClientSession in memory: session mode', () => {
  it('a client keeps its connection across transactions; server_reset_query runs when it leaves', async () => {
    const g = gateway()
    const a = await g.login('sess')
    const pid = value(await a.query('select pg_backend_pid()'))
    await a.query('begin')
    await a.query('commit')
    assert.equal(value(await a.query('select pg_backend_pid()')), pid)
    assert.equal(g.serverPool('sess').idle.length, 0, 'held between transactions')
    a.terminate()
    const fake = g.cluster.byProcessId(Number(pid))!
    await until(() => g.serverPool('sess').idle.length === 1, 'the connection back in the pool')
    assert.equal(fake.queries().at(-1), 'DISCARD ALL')
    assert.equal(fake.startupParams.get('database'), 'sess')
  })

  it('a session client leaving inside a transaction: ROLLBACK, then server_reset_query', async () => {
    const g = gateway()
    const a = await g.login('sess')
    await a.query('begin')
    a.terminate()
    await until(() => g.serverPool('sess').idle.length === 1, 'the connection back in the pool')
    assert.deepEqual(g.cluster.live[0]!.queries(), ['begin', 'ROLLBACK', 'DISCARD ALL'])
  })
})
