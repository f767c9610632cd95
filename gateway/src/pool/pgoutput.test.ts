import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PgOutputReader, ReplicationStream, standbyStatusUpdate } from './pgoutput.js'

/** A backend message: type byte, int32 length, body. */
function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(code, 0, 'latin1')
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

/** XLogData around one pgoutput message, in a CopyData. */
function xlog(walEnd: bigint, payload: Buffer): Buffer {
  const head = Buffer.alloc(25)
  head.write('w', 0, 'latin1')
  head.writeBigUInt64BE(walEnd - 1n, 1)
  head.writeBigUInt64BE(walEnd, 9)
  head.writeBigUInt64BE(0n, 17)
  return message('d', Buffer.concat([head, payload]))
}

function keepalive(walEnd: bigint, reply: boolean): Buffer {
  const body = Buffer.alloc(18)
  body.write('k', 0, 'latin1')
  body.writeBigUInt64BE(walEnd, 1)
  body[17] = reply ? 1 : 0
  return message('d', body)
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8')
const relation = (id: number, ns: string, name: string) =>
  Buffer.concat([Buffer.from('R'), int32(id), cstr(ns), cstr(name), Buffer.from([100]), Buffer.from([0, 0])])
const change = (kind: string, id: number) => Buffer.concat([Buffer.from(kind), int32(id), Buffer.from('N')])
const begin = Buffer.concat([Buffer.from('B'), Buffer.alloc(20)])
const commit = Buffer.concat([Buffer.from('C'), Buffer.alloc(25)])
const truncate = (ids: number[]) =>
  Buffer.concat([Buffer.from('T'), int32(ids.length), Buffer.from([0]), ...ids.map(int32)])

/** Two transactions, a keepalive and a truncate, as a server would stream them. */
const STREAM = Buffer.concat([
  message('W', Buffer.from([0, 0, 0])),
  xlog(10n, begin),
  xlog(11n, relation(16384, 'public', 'items')),
  xlog(12n, change('I', 16384)),
  xlog(13n, relation(16390, 'Sales', 'Orders')),
  xlog(14n, change('U', 16390)),
  xlog(15n, change('D', 16384)),
  xlog(16n, commit),
  keepalive(20n, true),
  xlog(21n, begin),
  xlog(22n, relation(16400, '', 'pg_thing')),
  xlog(23n, truncate([16384, 16400])),
  xlog(24n, commit),
  xlog(25n, begin),
  xlog(26n, commit), // a transaction that changed nothing reports nothing
  keepalive(30n, false),
])

function run(chunks: Buffer[]) {
  const commits: string[][] = []
  const others: string[] = []
  let replies = 0
  const reader = new PgOutputReader({
    committed: (tables) => commits.push([...tables]),
    replyRequested: () => replies++,
  })
  const stream = new ReplicationStream(reader, (code) => others.push(String.fromCharCode(code)))
  for (const c of chunks) stream.push(c)
  return { commits, others, replies, lsn: reader.lsn, unknown: reader.unknownRelations }
}

describe('pgoutput reader', () => {
  it('reports the tables of each committed transaction, at every split point of the stream', () => {
    const expected = {
      commits: [
        ['public.items', 'Sales.Orders'],
        ['public.items', 'pg_catalog.pg_thing'],
      ],
      others: ['W'],
      replies: 1,
      lsn: 30n,
      unknown: 0,
    }
    assert.deepEqual(run([STREAM]), expected)
    for (let i = 1; i < STREAM.length; i++) {
      assert.deepEqual(run([STREAM.subarray(0, i), STREAM.subarray(i)]), expected, `split at ${i}`)
    }
    const bytes = [...STREAM].map((b) => Buffer.from([b]))
    assert.deepEqual(run(bytes), expected, 'one byte at a time')
  })

  it('counts a change to a relation it was never told about', () => {
    const r = run([xlog(1n, begin), xlog(2n, change('I', 7)), xlog(3n, commit)])
    assert.equal(r.unknown, 1)
    assert.deepEqual(r.commits, [])
  })

  it('builds a Standby Status Update confirming the position', () => {
    const b = standbyStatusUpdate(0x16b3748n, Date.UTC(2000, 0, 1) + 1)
    assert.equal(b.length, 39)
    assert.equal(String.fromCharCode(b[0]!, b[5]!), 'dr')
    assert.equal(b.readInt32BE(1), 38)
    for (const at of [6, 14, 22]) assert.equal(b.readBigUInt64BE(at), 0x16b3748n)
    assert.equal(b.readBigInt64BE(30), 1000n)
    assert.equal(b[38], 0)
  })
})
