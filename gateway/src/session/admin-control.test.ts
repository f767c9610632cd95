/**
 * The admin console's changing commands against a fake AdminActions: argument checks, PgBouncer's
 * errors, replies that wait for PAUSE and stay in order, and the extended protocol's Describe.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { GeneralConfig } from '../config/schema-general.js'
import type { PoolRegistry } from '../pool/pool-registry.js'
import { MessageFramer } from '../protocol/framer.js'
import { serializeQuery, serializeSync } from '../protocol/frontend.js'
import { MessageWriter } from '../protocol/writer.js'
import { AdminConsole } from './admin-console.js'
import type { AdminActions, AdminClientView, AdminSources } from './admin-sources.js'

/** Backend messages as [type letter, body text with NULs shown as |]. */
function messages(bytes: Buffer): string[] {
  const out: string[] = []
  for (let at = 0; at < bytes.length; at += 1 + bytes.readUInt32BE(at + 1)) {
    const body = bytes.subarray(at + 5, at + 1 + bytes.readUInt32BE(at + 1))
    out.push(`${String.fromCharCode(bytes[at]!)}${body.toString('latin1').replace(/\0/g, '|')}`)
  }
  return out
}

class FakeActions implements AdminActions {
  paused = new Set<string>()
  release?: () => void
  calls: string[] = []
  reload = async () => ({ ok: false as const, errors: ['pools.x: bad'] })
  pause(db = '*'): Promise<void> {
    this.calls.push(`pause ${db}`)
    return new Promise((resolve) => {
      this.release = () => {
        this.paused.add(db)
        resolve()
      }
    })
  }
  resume(db = '*'): void {
    this.calls.push(`resume ${db}`)
    this.paused.delete(db)
  }
  isPaused(db = '*'): boolean {
    return this.paused.has(db)
  }
  shutdown(): void {
    this.calls.push('shutdown')
  }
}

function setup(actions?: AdminActions, clients: AdminClientView[] = []) {
  const pools = {
    *userPools() {
      yield { database: 'app', username: 'u', poolMode: 'transaction', serverPools: () => [] }
    },
  } as unknown as PoolRegistry
  const sources: AdminSources = {
    pools,
    general: { max_client_conn: 10 } as unknown as GeneralConfig,
    clients: () => clients,
    version: 'Skiff test',
    actions,
  }
  const out: Buffer[] = []
  const framer = new MessageFramer()
  const console = new AdminConsole(
    sources,
    (b) => out.push(b),
    () => out.push(Buffer.from('X\0\0\0\x04')),
    () => console.read(framer),
  )
  const send = (...parts: Buffer[]) => {
    framer.push(Buffer.concat(parts))
    console.read(framer)
  }
  const replies = () => messages(Buffer.concat(out.splice(0)))
  return { send, replies }
}

/** The SQLSTATE of each ErrorResponse among `msgs`, and the other message types. */
function shape(msgs: string[]): string[] {
  return msgs.map((m) =>
    m[0] === 'E' ? `E${/\|C(\w{5})\|/.exec(m)?.[1]}` : m[0] === 'C' ? m.slice(0, -1) : m[0]!,
  )
}

describe('admin control commands', () => {
  it('answer 0A000 without actions', () => {
    const { send, replies } = setup()
    send(serializeQuery('PAUSE'), serializeQuery('RELOAD'))
    assert.deepEqual(shape(replies()), ['E0A000', 'Z', 'E0A000', 'Z'])
  })

  it('PAUSE waits for the gateway and later queries answer after it, in order', async () => {
    const actions = new FakeActions()
    const { send, replies } = setup(actions)
    send(serializeQuery('pause app;'), serializeQuery('SHOW VERSION'), serializeQuery('resume app'))
    assert.deepEqual(replies(), [], 'nothing before PAUSE completes')
    assert.deepEqual(actions.calls, ['pause app'])
    actions.release!()
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(shape(replies()), ['CPAUSE', 'Z', 'T', 'D', 'CSHOW', 'Z', 'CRESUME', 'Z'])
    assert.deepEqual(actions.calls, ['pause app', 'resume app'])
  })

  it('PgBouncer errors: unknown database 3D000, PAUSE twice and RESUME unpaused 55000, extra words 42601', async () => {
    const actions = new FakeActions()
    actions.paused.add('*')
    const { send, replies } = setup(actions)
    send(
      serializeQuery('PAUSE nosuch'),
      serializeQuery('PAUSE'),
      serializeQuery('RESUME app'),
      serializeQuery('PAUSE app extra'),
      serializeQuery('RELOAD'),
    )
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(shape(replies()), [
      'E3D000',
      'Z',
      'E55000',
      'Z',
      'E55000',
      'Z',
      'E42601',
      'Z',
      'EF0000',
      'Z',
    ])
  })

  it('KILL_CLIENT kills the named client; an unknown id gets 42704', () => {
    const killed: number[] = []
    const client = (id: number): AdminClientView => ({
      id,
      username: 'u',
      database: 'app',
      connectedAt: 0,
      transactionCount: 0,
      queryCount: 0,
      params: new Map(),
      kill: () => killed.push(id),
    })
    const { send, replies } = setup(new FakeActions(), [client(7), client(8)])
    send(serializeQuery('KILL_CLIENT 8'), serializeQuery('KILL_CLIENT 9'), serializeQuery('KILL_CLIENT'))
    assert.deepEqual(shape(replies()), ['CKILL_CLIENT', 'Z', 'E42704', 'Z', 'E42601', 'Z'])
    assert.deepEqual(killed, [8])
  })

  it('SHUTDOWN answers, then shuts down', async () => {
    const actions = new FakeActions()
    const { send, replies } = setup(actions)
    send(serializeQuery('shutdown'))
    assert.deepEqual(shape(replies()), ['CSHUTDOWN', 'Z'])
    assert.deepEqual(actions.calls, [])
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(actions.calls, ['shutdown'])
  })
})

function parse(name: string, sql: string): Buffer {
  return new MessageWriter().begin(0x50).cstring(name).cstring(sql).int16(0).end().finish()
}
function bind(portal: string, name: string, values = 0): Buffer {
  const w = new MessageWriter().begin(0x42).cstring(portal).cstring(name).int16(0).int16(values)
  for (let i = 0; i < values; i++) w.int32(1).bytes(Buffer.from('1'))
  return w.int16(0).end().finish()
}
function describeMsg(type: 'S' | 'P', name: string): Buffer {
  return new MessageWriter().begin(0x44).byte(type.charCodeAt(0)).cstring(name).end().finish()
}
function execute(portal: string): Buffer {
  return new MessageWriter().begin(0x45).cstring(portal).int32(0).end().finish()
}

describe('admin extended protocol', () => {
  it('Parse, Describe statement and portal, Execute; a command without rows describes as NoData', async () => {
    const actions = new FakeActions()
    const { send, replies } = setup(actions)
    send(
      parse('s1', 'SHOW LISTS'),
      describeMsg('S', 's1'),
      bind('', 's1'),
      describeMsg('P', ''),
      execute(''),
      parse('', 'RESUME'),
      describeMsg('S', ''),
      serializeSync(),
    )
    assert.deepEqual(shape(replies()), [
      '1',
      't',
      'T',
      '2',
      'T',
      ...Array(12).fill('D'),
      'CSHOW',
      '1',
      't',
      'n',
      'Z',
    ])
  })

  it('an error skips to Sync; parameters are refused with 0A000; an awaited Execute keeps order', async () => {
    const actions = new FakeActions()
    const { send, replies } = setup(actions)
    send(parse('', 'SELECT 1'), bind('', ''), execute(''), serializeSync())
    assert.deepEqual(shape(replies()), ['E0A000', 'Z'])
    send(parse('', 'SHOW VERSION'), bind('', '', 1), execute(''), serializeSync())
    assert.deepEqual(shape(replies()), ['1', 'E0A000', 'Z'])
    send(parse('', 'PAUSE'), bind('', ''), execute(''), serializeSync(), serializeQuery('SHOW VERSION'))
    assert.deepEqual(shape(replies()), ['1', '2'])
    actions.release!()
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(shape(replies()), ['CPAUSE', 'Z', 'T', 'D', 'CSHOW', 'Z'])
  })
})
