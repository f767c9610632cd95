import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  serializeCancelRequest,
  serializePasswordMessage,
  serializeQuery,
  serializeStartupMessage,
  serializeTerminate,
} from '../../protocol/frontend.js'
import type { ServerAddress } from '../server-address.js'
import type { ServerTransport } from '../server-connector.js'
import { type BackendMessage, BackendReader, errorFields, summaries } from './backend-summary.js'
import { FakeCluster, type FakeClusterOptions } from './fake-cluster.js'
import { rows, sqlError } from './fake-outcome.js'
import { bind, describe as describeMessage, execute, flush, parse, sync } from './frontend-messages.js'
import { until } from './until.js'

const ADDRESS: ServerAddress = { host: 'fake', port: 5432, role: 'primary', database: 'app', shard: 0 }

/** The gateway's end of one pipe, read by hand: what a ServerConnection would see. */
class RawPeer {
  readonly messages: BackendMessage[] = []
  closed = false
  connected = false
  private readonly reader = new BackendReader()
  readonly pipe: ServerTransport

  constructor(readonly cluster: FakeCluster) {
    this.pipe = cluster.open(ADDRESS)
    this.pipe.on('connect', () => {
      this.connected = true
    })
    this.pipe.on('data', (chunk) => this.messages.push(...this.reader.read(chunk)))
    this.pipe.on('close', () => {
      this.closed = true
    })
    this.pipe.on('error', () => {})
  }

  /**
   * Sends `bytes`, then waits for `readies` more ReadyForQuery (0: for any message), or the close;
   * returns what came.
   */
  async send(bytes: Buffer, readies = 1): Promise<string[]> {
    await until(() => this.connected, 'connect')
    const from = this.messages.length
    this.pipe.write(bytes)
    const count = () => this.messages.slice(from).filter((m) => m.code === 'Z').length
    const enough = () => (readies === 0 ? this.messages.length > from : count() >= readies)
    await until(() => this.closed || enough(), `${readies} ReadyForQuery`)
    return summaries(this.messages.slice(from))
  }

  get pendingBytes(): number {
    return this.reader.pending
  }
}

async function loggedIn(options: FakeClusterOptions = {}): Promise<RawPeer> {
  const peer = new RawPeer(new FakeCluster(options))
  await peer.send(serializeStartupMessage({ user: 'alice', database: 'app' }))
  return peer
}

describe('FakeServer: login', () => {
  it('trust: AuthenticationOk, the reported parameters, BackendKeyData, ReadyForQuery I', async () => {
    const peer = new RawPeer(new FakeCluster({ params: { TimeZone: 'Europe/Paris' } }))
    const welcome = await peer.send(
      serializeStartupMessage({ user: 'alice', database: 'app', application_name: 'probe' }),
    )
    assert.equal(welcome[0], 'Authentication:0')
    assert.ok(welcome.includes('ParameterStatus:TimeZone=Europe/Paris'))
    assert.ok(welcome.includes('ParameterStatus:application_name=probe'), 'the startup value is reported')
    assert.ok(welcome.includes('ParameterStatus:server_version=16.4 (fake)'))
    assert.ok(welcome.includes('ParameterStatus:session_authorization=alice'))
    assert.deepEqual(welcome.slice(-2), ['BackendKeyData', 'ReadyForQuery:I'])
    const server = peer.cluster.servers[0]!
    assert.equal(server.state, 'ready')
    assert.equal(server.startupParams.get('database'), 'app')
    assert.deepEqual(peer.cluster.loggedIn, [server])
  })

  it('md5: the right answer logs in, a wrong one gets FATAL 28P01 and a closed pipe', async () => {
    const good = new RawPeer(new FakeCluster({ auth: 'md5', password: 'pw' }))
    const request = await good.send(serializeStartupMessage({ user: 'alice', database: 'app' }), 0)
    assert.deepEqual(request, ['Authentication:5'])
    const salt = good.messages[0]!.bytes.subarray(9, 13)
    const inner = createHash('md5').update('pwalice').digest('hex')
    const answer = `md5${createHash('md5').update(inner).update(salt).digest('hex')}`
    const welcome = await good.send(serializePasswordMessage(answer))
    assert.equal(welcome.at(-1), 'ReadyForQuery:I')

    const bad = new RawPeer(new FakeCluster({ auth: 'cleartext', password: 'pw' }))
    const cleartext = await bad.send(serializeStartupMessage({ user: 'alice', database: 'app' }), 0)
    assert.deepEqual(cleartext, ['Authentication:3'])
    assert.deepEqual(await bad.send(serializePasswordMessage('wrong')), ['ErrorResponse:FATAL:28P01'])
    await until(() => bad.closed, 'the close')
    assert.equal(bad.cluster.loggedIn.length, 0)
  })

  it('refuseLogins and refuseConnections', async () => {
    const cluster = new FakeCluster()
    cluster.refuseLogins = true
    const refused = new RawPeer(cluster)
    const reply = await refused.send(serializeStartupMessage({ user: 'alice', database: 'app' }))
    assert.deepEqual(reply, ['ErrorResponse:FATAL:28P01'])
    cluster.refuseConnections = true
    const errors: Error[] = []
    const pipe = cluster.open(ADDRESS)
    let connected = false
    pipe.on('connect', () => {
      connected = true
    })
    pipe.on('error', (e) => errors.push(e))
    let closed = false
    pipe.on('close', () => {
      closed = true
    })
    await until(() => closed, 'the refused pipe to close')
    assert.equal(connected, false)
    assert.match(errors[0]?.message ?? '', /ECONNREFUSED/)
    assert.equal(cluster.servers.length, 1, 'no backend behind a refused pipe')
  })

  it('a CancelRequest is recorded with the backend it names', async () => {
    const peer = await loggedIn()
    const target = peer.cluster.servers[0]!
    const cancel = new RawPeer(peer.cluster)
    await cancel.send(serializeCancelRequest(target.processId, target.secretKey), 0)
    assert.equal(cancel.messages.length, 0, 'a CancelRequest gets no reply')
    assert.equal(peer.cluster.cancels.length, 1)
    assert.equal(peer.cluster.cancels[0]!.target, target)
    await until(() => cancel.closed, 'the cancel pipe to close')
  })
})

describe('FakeServer: simple queries and transaction status', () => {
  it('select <n>: RowDescription, DataRow, SELECT 1, ReadyForQuery', async () => {
    const peer = await loggedIn()
    assert.deepEqual(await peer.send(serializeQuery('select 42')), [
      'RowDescription:?column?',
      'DataRow:42',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(peer.cluster.servers[0]!.queries(), ['select 42'])
  })

  it('BEGIN, an error, 25P02 after it, ROLLBACK: statuses T, E, E, I', async () => {
    const peer = await loggedIn()
    assert.deepEqual(await peer.send(serializeQuery('begin')), ['CommandComplete:BEGIN', 'ReadyForQuery:T'])
    assert.deepEqual(await peer.send(serializeQuery('select error')), [
      'ErrorResponse:ERROR:42601',
      'ReadyForQuery:E',
    ])
    assert.deepEqual(await peer.send(serializeQuery('select 1')), [
      'ErrorResponse:ERROR:25P02',
      'ReadyForQuery:E',
    ])
    assert.deepEqual(await peer.send(serializeQuery('commit')), [
      'CommandComplete:ROLLBACK',
      'ReadyForQuery:I',
    ])
    assert.equal(peer.cluster.servers[0]!.txnStatus, 'I')
  })

  it('an error outside a transaction leaves it idle; several statements stop at the first error', async () => {
    const peer = await loggedIn()
    assert.deepEqual(await peer.send(serializeQuery('select 1; select error; select 2')), [
      'RowDescription:?column?',
      'DataRow:1',
      'CommandComplete:SELECT 1',
      'ErrorResponse:ERROR:42601',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(await peer.send(serializeQuery(' ; ')), ['EmptyQueryResponse', 'ReadyForQuery:I'])
  })

  it('SET of a reported parameter sends ParameterStatus; RESET ALL sends the old value back', async () => {
    const peer = await loggedIn()
    assert.deepEqual(await peer.send(serializeQuery("SET TimeZone = 'Asia/Tokyo'")), [
      'CommandComplete:SET',
      'ParameterStatus:TimeZone=Asia/Tokyo',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(await peer.send(serializeQuery('set work_mem to 64')), [
      'CommandComplete:SET',
      'ReadyForQuery:I',
    ])
    assert.deepEqual((await peer.send(serializeQuery('show work_mem'))).slice(1, 2), ['DataRow:64'])
    assert.deepEqual(await peer.send(serializeQuery('RESET ALL')), [
      'CommandComplete:RESET',
      'ParameterStatus:TimeZone=UTC',
      'ReadyForQuery:I',
    ])
    assert.deepEqual((await peer.send(serializeQuery('show work_mem'))).slice(1, 2), ['DataRow:NULL'])
  })

  it('handlers answer by query text, a FATAL one closes the connection', async () => {
    const cluster = new FakeCluster().handle('select answer', () => rows(['answer'], [['forty-two']]))
    cluster.handle(/kill me/, () => sqlError('57P01', 'terminating', 'FATAL'))
    const peer = new RawPeer(cluster)
    await peer.send(serializeStartupMessage({ user: 'alice', database: 'app' }))
    assert.deepEqual((await peer.send(serializeQuery('SELECT ANSWER'))).slice(0, 2), [
      'RowDescription:answer',
      'DataRow:forty-two',
    ])
    assert.deepEqual(await peer.send(serializeQuery('please kill me')), ['ErrorResponse:FATAL:57P01'])
    await until(() => peer.closed, 'the close after FATAL')
  })

  it('Terminate closes the pipe', async () => {
    const peer = await loggedIn()
    peer.pipe.write(serializeTerminate())
    await until(() => peer.closed, 'the close')
    assert.equal(peer.cluster.servers[0]!.state, 'closed')
  })
})

describe('FakeServer: extended protocol', () => {
  it('named statement: Parse, Bind with a parameter, Describe, Execute, Sync', async () => {
    const peer = await loggedIn()
    const batch = Buffer.concat([
      parse('s1', 'select $1'),
      describeMessage('S', 's1'),
      bind('', 's1', ['7']),
      execute(''),
      sync(),
    ])
    assert.deepEqual(await peer.send(batch), [
      'ParseComplete',
      'ParameterDescription',
      'RowDescription:?column?',
      'BindComplete',
      'DataRow:7',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(await peer.send(Buffer.concat([parse('s1', 'select 2'), sync()])), [
      'ErrorResponse:ERROR:42P05',
      'ReadyForQuery:I',
    ])
  })

  it('after an error everything up to Sync is discarded, a Query included', async () => {
    const peer = await loggedIn()
    const batch = Buffer.concat([
      bind('', 'missing'),
      execute(''),
      serializeQuery('select 1'),
      flush(),
      sync(),
      parse('', 'select 3'),
      bind('', ''),
      execute(''),
      sync(),
    ])
    assert.deepEqual(await peer.send(batch, 2), [
      'ErrorResponse:ERROR:26000',
      'ReadyForQuery:I',
      'ParseComplete',
      'BindComplete',
      'DataRow:3',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    const types = peer.cluster.servers[0]!.received.map((m) => m.type)
    assert.ok(types.includes('Query'), 'the discarded Query was still recorded')
  })
})

describe('FakeServer: test hooks', () => {
  it('hold keeps replies back until release', async () => {
    const peer = await loggedIn()
    const server = peer.cluster.servers[0]!
    server.hold()
    peer.pipe.write(serializeQuery('select 1'))
    await until(() => server.queries().length === 1, 'the query to arrive')
    const before = peer.messages.length
    server.release()
    await until(() => peer.messages.length === before + 4, 'the released reply')
    assert.equal(peer.messages.at(-1)!.summary, 'ReadyForQuery:I')
  })

  it('dieMidReply sends a RowDescription and half a DataRow, then closes without an error', async () => {
    const peer = await loggedIn()
    const server = peer.cluster.servers[0]!
    server.dieMidReply('select 2')
    assert.deepEqual(await peer.send(serializeQuery('select 1')), [
      'RowDescription:?column?',
      'DataRow:1',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
    assert.deepEqual(await peer.send(serializeQuery('select 2')), ['RowDescription:?column?'])
    assert.equal(peer.closed, true)
    assert.ok(peer.pendingBytes > 0, 'part of a DataRow was left unfinished')
    assert.equal(server.state, 'closed')
  })

  it('terminate sends FATAL 57P01 and closes', async () => {
    const peer = await loggedIn()
    peer.cluster.servers[0]!.terminate()
    await until(() => peer.closed, 'the close')
    const last = peer.messages.at(-1)!
    assert.equal(errorFields(last).get('C'), '57P01')
    assert.equal(errorFields(last).get('V'), 'FATAL')
  })

  it('maxChunk splits every write without changing the messages', async () => {
    const peer = new RawPeer(new FakeCluster({ maxChunk: 3 }))
    await peer.send(serializeStartupMessage({ user: 'alice', database: 'app' }))
    assert.deepEqual(await peer.send(serializeQuery('select 9')), [
      'RowDescription:?column?',
      'DataRow:9',
      'CommandComplete:SELECT 1',
      'ReadyForQuery:I',
    ])
  })
})
