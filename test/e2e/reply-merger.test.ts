/**
 * The reply merger (issue 17) on real replies: the same request goes to two shard primaries over raw
 * sockets, and their replies, pushed into a ReplyMerger, must decode as one server's would.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { parseErrorFields } from '../../gateway/src/protocol/backend-decode.js'
import { FrontendCode } from '../../gateway/src/protocol/codes.js'
import { readCommandTag } from '../../gateway/src/protocol/command-tag.js'
import { MessageFramer } from '../../gateway/src/protocol/framer.js'
import { serializeQuery, serializeSync } from '../../gateway/src/protocol/frontend.js'
import { MessageReader } from '../../gateway/src/protocol/reader.js'
import { ReplyMerger } from '../../gateway/src/protocol/reply-merger.js'
import { MessageWriter } from '../../gateway/src/protocol/writer.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'

/** A decoded message of the merged stream. */
interface Message {
  code: string
  bytes: Buffer
}

function decode(stream: Buffer): Message[] {
  const framer = new MessageFramer()
  framer.push(stream)
  const out: Message[] = []
  while (framer.next())
    out.push({
      code: String.fromCharCode(framer.code),
      bytes: framer.buffer.subarray(framer.start, framer.end),
    })
  assert.equal(framer.pending, 0, 'the merged stream ends with a whole message')
  return out
}

/** The text columns of a DataRow. */
function columns(row: Buffer): string[] {
  const r = new MessageReader(row, 5, row.length)
  return Array.from({ length: r.int16() }, () => r.bytes(r.int32()).toString('utf8'))
}

const codes = (messages: Message[]) => messages.map((m) => m.code).join('')
const tags = (messages: Message[]) =>
  messages.filter((m) => m.code === 'C').map((m) => readCommandTag(m.bytes, 0, m.bytes.length))

describe('ReplyMerger on the replies of two real shards', () => {
  let shards: RawSocket[]
  before(async () => {
    const t = topology()
    assert.ok(t.shards.length >= 2, 'the topology has two shards')
    shards = await Promise.all(
      t.shards.slice(0, 2).map((s) => RawSocket.login(s.port, { database: t.shardDatabase })),
    )
  })
  after(() => {
    for (const s of shards) s.destroy()
  })

  /**
   * Sends `request` to both shards, waits for `ready` ReadyForQuery from each, then pushes their
   * messages into a merger one at a time, round robin, starting with `first`; returns the merged stream.
   */
  async function merged(request: Buffer, ready = 1, first = 0): Promise<Message[]> {
    for (const s of shards) {
      s.messages.length = 0
      s.write(request)
    }
    for (const s of shards) await s.until(() => s.messages.filter((m) => m.code === 'Z').length === ready)
    const out: Buffer[] = []
    const merger = new ReplyMerger(2, (b) => out.push(Buffer.from(b)))
    merger.expectReady(ready)
    const longest = Math.max(...shards.map((s) => s.messages.length))
    for (let k = 0; k < longest; k++) {
      for (const i of [first, 1 - first]) {
        const m = shards[i]!.messages[k]
        if (m !== undefined) merger.push(i, m.body, 0, m.body.length)
      }
    }
    assert.equal(merger.done, true, 'every ReadyForQuery went out')
    return decode(Buffer.concat(out))
  }

  const byPort = "select current_setting('port') as port, g::text from generate_series(1, 3) g"

  it('a SELECT: one RowDescription, the rows of both, SELECT with the summed count', async () => {
    for (const first of [0, 1]) {
      const messages = await merged(serializeQuery(byPort), 1, first)
      assert.equal(codes(messages), `T${'D'.repeat(6)}CZ`)
      const rows = messages.filter((m) => m.code === 'D').map((m) => columns(m.bytes).join(':'))
      const ports = topology()
        .shards.slice(0, 2)
        .map((s) => s.port)
      const want = ports.flatMap((p) => [1, 2, 3].map((g) => `${p}:${g}`))
      assert.deepEqual(rows.sort(), want.sort())
      assert.deepEqual(tags(messages), ['SELECT 6'])
      assert.equal(messages.at(-1)!.bytes[5], 0x49, 'idle')
    }
  })

  it('a multi-statement query in a transaction, then its rollback', async () => {
    const messages = await merged(
      serializeQuery('begin; select 1 as one; select g from generate_series(1, 2) g'),
    )
    assert.equal(codes(messages), 'CTDDCTDDDDCZ')
    assert.deepEqual(tags(messages), ['BEGIN', 'SELECT 2', 'SELECT 4'])
    assert.equal(messages.at(-1)!.bytes[5], 0x54, 'in a transaction on both')
    const rollback = await merged(serializeQuery('rollback'))
    assert.deepEqual(tags(rollback), ['ROLLBACK'])
    assert.equal(rollback.at(-1)!.bytes[5], 0x49)
  })

  it('an error on both shards goes out once, then one ReadyForQuery', async () => {
    const messages = await merged(serializeQuery('select 1 as ok; select 1/0'))
    assert.equal(codes(messages), 'TDDCEZ')
    const error = messages.find((m) => m.code === 'E')!
    assert.equal(parseErrorFields(error.bytes, 0, error.bytes.length).get('C'), '22012')
  })

  it('the extended protocol: Parse, Bind, Describe, Execute, Sync', async () => {
    const w = new MessageWriter()
    w.begin(FrontendCode.Parse).cstring('').cstring(`${byPort} where g <= $1`).int16(1).int32(23).end()
    w.begin(FrontendCode.Bind).cstring('').cstring('').int16(0).int16(1).int32(1).bytes(Buffer.from('2'))
    w.int16(0).end()
    w.begin(FrontendCode.Describe).byte(0x50).cstring('').end()
    w.begin(FrontendCode.Execute).cstring('').int32(0).end()
    const messages = await merged(Buffer.concat([w.finish(), serializeSync()]))
    assert.equal(codes(messages), '12TDDDDCZ')
    assert.deepEqual(tags(messages), ['SELECT 4'])
  })
})
