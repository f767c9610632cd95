import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  serializeCommandComplete,
  serializeDataRow,
  serializeErrorResponse,
  serializeNoticeResponse,
  serializeNotificationResponse,
  serializeParameterStatus,
  serializeReadyForQuery,
  serializeRowDescription,
} from './backend.js'
import { parseErrorFields } from './backend-decode.js'
import { TxnStatus } from './codes.js'
import { ReplyMerger } from './reply-merger.js'
import { MessageWriter } from './writer.js'

const T = serializeRowDescription([{ name: 'n', typeOid: 23 }])
const row = (n: number) => serializeDataRow([String(n)])
const rows = (count: number) => Buffer.concat(Array.from({ length: count }, (_, n) => row(n)))
const C = serializeCommandComplete
const Z = (status: number = TxnStatus.Idle) => serializeReadyForQuery(status)
const fatal = serializeErrorResponse({ severity: 'FATAL', code: '57P01', message: 'terminating connection' })
const lost = serializeErrorResponse({ severity: 'FATAL', code: '08006', message: 'lost server 1' })

/** A merger of `n` servers and everything it output, one entry per `onOutput` call. */
function merger(n: number, names?: string[]): { m: ReplyMerger; out: Buffer[] } {
  const out: Buffer[] = []
  return { m: new ReplyMerger(n, (b) => out.push(b), { names }), out }
}

const push = (m: ReplyMerger, server: number, ...messages: Buffer[]) => {
  const buf = Buffer.concat(messages)
  m.push(server, buf, 0, buf.length)
}

describe('ReplyMerger with one server', () => {
  // Things a merge of several servers would change or refuse, which one server must pass as they are.
  const copyIn = new MessageWriter().begin(0x47).byte(0).int16(0).end().finish()
  const functionResult = new MessageWriter().begin(0x56).int32(1).byte(0x31).end().finish()
  const notice = serializeNoticeResponse({ severity: 'WARNING', code: '01000', message: 'late' })
  const error = serializeErrorResponse({ severity: 'ERROR', code: '22012', message: 'division by zero' })
  const stream = [
    ...[serializeParameterStatus('TimeZone', 'UTC'), T, row(1), C('SELECT 1'), Z(TxnStatus.InTransaction)],
    ...[error, notice, Z(TxnStatus.Failed), copyIn, C('COPY 0'), Z(), functionResult, Z()],
    serializeNotificationResponse(7, 'chan', ''),
  ]

  it('is a pass-through, byte for byte, one output per push, at every cut', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { m, out } = merger(1)
      m.expectReady(4)
      const parts = [Buffer.concat(stream.slice(0, cut)), Buffer.concat(stream.slice(cut))]
      for (const part of parts) m.push(0, part, 0, part.length)
      assert.deepEqual(Buffer.concat(out), Buffer.concat(stream), `cut at ${cut}`)
      assert.equal(out.length, parts.filter((p) => p.length > 0).length)
      assert.equal(m.done, true)
      assert.equal(m.status, TxnStatus.Idle)
      assert.equal(m.heldBytes(0), 0)
    }
  })

  it('a FATAL ends the merge', () => {
    const { m, out } = merger(1)
    push(m, 0, T, row(1), fatal)
    assert.equal(m.failed, true)
    push(m, 0, Z())
    m.serverLost(0, lost)
    assert.deepEqual(Buffer.concat(out), Buffer.concat([T, row(1), fatal]))
  })
})

describe('ReplyMerger with several servers', () => {
  it('rows stream out as they arrive, a push of rows as one view of the pushed bytes', () => {
    const { m, out } = merger(2)
    push(m, 0, T)
    push(m, 1, T)
    assert.deepEqual(out, [T], 'one RowDescription once both sent theirs')
    const hundred = Buffer.concat([Buffer.from('pad'), rows(100)])
    m.push(1, hundred, 3, hundred.length)
    assert.equal(out.length, 2, 'one output for the hundred rows')
    assert.equal(out[1]!.buffer, hundred.buffer, 'not copied')
    assert.deepEqual(out[1], rows(100))
  })

  it('holds a server that runs ahead until the others catch up, and tells how much it holds', () => {
    const { m, out } = merger(2)
    m.expectReady()
    push(m, 0, T, rows(1000), C('SELECT 1000'), Z())
    assert.equal(out.length, 0)
    assert.equal(m.heldBytes(0), rows(1000).length + C('SELECT 1000').length + Z().length)
    push(m, 1, T)
    assert.deepEqual(Buffer.concat(out), Buffer.concat([T, rows(1000)]))
    assert.equal(m.heldBytes(0), Z().length, 'its CommandComplete waits; its ReadyForQuery is held')
    assert.equal(m.done, false)
    push(m, 1, row(5), C('SELECT 1'), Z(TxnStatus.InTransaction))
    assert.deepEqual(Buffer.concat(out), Buffer.concat([T, rows(1000), row(5), C('SELECT 1001'), Z(0x54)]))
    assert.equal(m.done, true)
    assert.equal(m.status, TxnStatus.InTransaction)
  })

  it('done only once every expected ReadyForQuery went out', () => {
    const { m } = merger(2)
    m.expectReady(2)
    for (const server of [0, 1]) push(m, server, C('SET'), Z())
    assert.equal(m.done, false)
    push(m, 0, C('SET'), Z())
    assert.equal(m.done, false)
    push(m, 1, C('SET'), Z())
    assert.equal(m.done, true)
  })

  it('a FATAL from any server goes out at once and ends the merge', () => {
    const { m, out } = merger(3)
    push(m, 2, T, row(2))
    push(m, 0, T, row(0))
    push(m, 1, T, row(1), fatal)
    assert.equal(m.failed, true)
    assert.equal(m.done, false)
    for (const server of [0, 1, 2]) assert.equal(m.heldBytes(server), 0, 'held input is dropped')
    push(m, 0, C('SELECT 1'), Z())
    m.serverLost(1, lost)
    // Held input goes out lowest server first, up to the FATAL; server 2's row was still held.
    assert.deepEqual(Buffer.concat(out), Buffer.concat([T, row(0), row(1), fatal]))
  })

  it('a FATAL goes out even while the rest of a failed request is dropped', () => {
    const { m, out } = merger(2)
    const error = serializeErrorResponse({ severity: 'ERROR', code: '22012', message: 'division by zero' })
    push(m, 0, T, row(0))
    push(m, 1, error)
    push(m, 0, serializeNoticeResponse({ severity: 'NOTICE', code: '00000', message: 'dropped' }), fatal)
    assert.deepEqual(Buffer.concat(out), Buffer.concat([error, fatal]))
    assert.equal(m.failed, true)
  })

  it('a lost server: the client gets the given error and nothing more', () => {
    const { m, out } = merger(2)
    m.expectReady()
    push(m, 0, T, row(0))
    push(m, 1, T)
    m.serverLost(1, lost)
    push(m, 0, C('SELECT 1'), Z())
    m.serverLost(0, lost)
    assert.deepEqual(Buffer.concat(out), Buffer.concat([T, row(0), lost]))
    assert.equal(m.failed, true)
    assert.equal(m.done, false)
  })

  it('names the servers in its errors as told', () => {
    const { m, out } = merger(2, ['shard-a', 'shard-b'])
    push(m, 0, T)
    push(m, 1, serializeRowDescription([{ name: 'n', typeOid: 25 }]))
    const error = parseErrorFields(out[0]!, 0, out[0]!.length)
    assert.equal(error.get('C'), '42804')
    assert.equal(error.get('M'), 'different row types on shard-a and shard-b')
  })

  it('refuses what a framing caller never sends: part of a message, an unknown server', () => {
    const { m } = merger(2)
    const z = Z()
    assert.throws(() => m.push(0, z, 0, z.length - 1), RangeError)
    assert.throws(() => m.push(2, z, 0, z.length), RangeError)
    assert.throws(() => m.heldBytes(-1), RangeError)
    assert.throws(() => new ReplyMerger(0, () => {}), RangeError)
  })
})
