import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { summaries } from '../pool/testing/backend-summary.js'
import { bind, describe as describeTarget, execute, parse, sync } from '../pool/testing/frontend-messages.js'
import { until } from '../pool/testing/until.js'
import { serializeQuery } from '../protocol/frontend.js'
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

describe('ClientSession in memory: extended protocol in transaction mode', () => {
  it('a named statement runs under a gateway-wide name; the client sees only its own replies', async () => {
    const g = gateway()
    const a = await g.login()
    const batch = Buffer.concat([parse('s1', 'select $1'), bind('', 's1', ['5']), execute(''), sync()])
    assert.deepEqual(summaries(await a.exchange(batch)), [
      'ParseComplete',
      'BindComplete',
      'DataRow:5',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    const parses = g.cluster.servers[0]!.received.filter((m) => m.type === 'Parse')
    assert.ok(parses.length > 0)
    for (const p of parses) assert.match(p.name ?? '', /^skiff_/, 'never the client name s1')
    const described = await a.exchange(Buffer.concat([describeTarget('S', 's1'), sync()]))
    assert.deepEqual(summaries(described), [
      'ParameterDescription',
      'RowDescription:?column?',
      'ReadyForQuery:I',
    ])
  })

  it('a second client preparing the same text on the same connection gets its own ParseComplete', async () => {
    const g = gateway()
    const a = await g.login()
    const b = await g.login()
    const prepare = (name: string, arg: string) =>
      Buffer.concat([parse(name, 'select $1'), bind('', name, [arg]), execute(''), sync()])
    await a.exchange(prepare('mine', '1'))
    const replies = summaries(await b.exchange(prepare('theirs', '2')))
    assert.deepEqual(replies, [
      'ParseComplete',
      'BindComplete',
      'DataRow:2',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    assert.equal(g.cluster.loggedIn.length, 1)
  })

  it('an error mid-batch: one ErrorResponse, one ReadyForQuery, and the connection is reusable', async () => {
    const g = gateway()
    const a = await g.login()
    const batch = Buffer.concat([parse('', 'select error'), bind('', ''), execute(''), sync()])
    assert.deepEqual(summaries(await a.exchange(batch)), ['ErrorResponse:ERROR:42601', 'ReadyForQuery:I'])
    await until(() => g.serverPool().idle.length === 1, 'the connection back in the pool')
    assert.deepEqual(summaries(await a.query('select 4')).slice(1, 2), ['DataRow:4'])
  })
})

describe('ClientSession in memory: flow control and waiting', () => {
  it('a client that cannot take more pauses its server until it drains', async () => {
    const g = gateway()
    const a = await g.login()
    const fake = g.cluster.servers[0]!
    a.transport.accepting = false
    const from = a.messages.length
    a.send(Buffer.concat([serializeQuery('select 1'), serializeQuery('select 2')]))
    await until(() => fake.txnStatus === 'I' && fake.queries().length === 2, 'both queries to be answered')
    await until(() => a.messages.length > from, 'the first reply')
    assert.deepEqual(summaries(a.messages.slice(from)), ['RowDescription:?column?'], 'the rest waits')
    a.transport.accepting = true
    a.session.onTransportDrain()
    const readies = () => a.messages.slice(from).filter((m) => m.code === 'Z').length
    await until(() => readies() === 2, 'the rest after the drain')
    assert.deepEqual(
      summaries(a.messages.slice(from)).filter((s) => s.startsWith('DataRow')),
      ['DataRow:1', 'DataRow:2'],
    )
  })

  it('query_wait_timeout: a waiting query gets 53300 and ReadyForQuery, and the client stays connected', async () => {
    const g = gateway({
      general: { query_wait_timeout: 30 },
      pools: { app: { users: { '0': { min_pool_size: 1 } } } },
    })
    // The connection is opened ahead (min_pool_size), so no login waits on a connect that could take
    // longer than 30 ms on a busy machine: only b's query below ever waits.
    g.serverPool().maintain()
    await until(() => g.serverPool().idle.length === 1, 'the min_pool_size connection')
    const a = await g.login()
    const b = await g.login()
    await a.query('begin')
    const replies = summaries(await b.query('select 1'))
    assert.deepEqual(replies, ['ErrorResponse:ERROR:53300', 'ReadyForQuery:I'])
    assert.equal(b.ended, false)
    await a.query('commit')
    assert.deepEqual(summaries(await b.query('select 1')).slice(1, 2), ['DataRow:1'])
  })
})
