import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  serializeBindComplete,
  serializeCommandComplete,
  serializeCopyOutResponse,
  serializeParameterDescription,
  serializePortalSuspended,
  serializeReadyForQuery,
  serializeRowDescription,
} from './backend.js'
import { parseErrorFields } from './backend-decode.js'
import { TxnStatus } from './codes.js'
import { type CombinedReply, combineReplies } from './combine-replies.js'
import { MessageWriter } from './writer.js'

const NAMES = ['shard-a', 'shard-b', 'shard-c']
const INT4 = 23
const TEXT = 25

/** The SQLSTATE, message and detail of an 'error' result (fails on any other result). */
function errorOf(result: CombinedReply): { code?: string; message?: string; detail?: string } {
  assert.equal(result.kind, 'error')
  const f = parseErrorFields(result.bytes, 0, result.bytes.length)
  return { code: f.get('C'), message: f.get('M'), detail: f.get('D') }
}

const copyIn = new MessageWriter().begin(0x47).byte(0).int16(0).end().finish()

describe('combineReplies', () => {
  it('one server: its reply, whatever it is', () => {
    assert.deepEqual(combineReplies([copyIn], NAMES), { kind: 'forward', server: 0 })
  })

  it('RowDescription: server 0’s when column count and types agree, even with other names', () => {
    const a = serializeRowDescription([{ name: 'id', typeOid: INT4 }])
    const b = serializeRowDescription([{ name: 'other', typeOid: INT4, tableOid: 16384, typeModifier: 4 }])
    assert.deepEqual(combineReplies([a, b], NAMES), { kind: 'forward', server: 0 })
  })

  it('RowDescription: 42804 naming both servers and the column when a type differs', () => {
    const a = serializeRowDescription([
      { name: 'id', typeOid: INT4 },
      { name: 'v', typeOid: INT4 },
    ])
    const c = serializeRowDescription([
      { name: 'id', typeOid: INT4 },
      { name: 'v', typeOid: TEXT },
    ])
    assert.deepEqual(errorOf(combineReplies([a, a, c], NAMES)), {
      code: '42804',
      message: 'different row types on shard-a and shard-c',
      detail: 'Column 2 ("v") has type OID 23 on shard-a and 25 on shard-c.',
    })
  })

  it('RowDescription: 42804 when the column counts differ', () => {
    const a = serializeRowDescription([{ name: 'id', typeOid: INT4 }])
    const b = serializeRowDescription([])
    assert.equal(
      errorOf(combineReplies([a, b], NAMES)).detail,
      'shard-a returns 1 column, shard-b returns 0 columns.',
    )
  })

  it('ParameterDescription and CopyOutResponse must be the same bytes', () => {
    const p = serializeParameterDescription([INT4])
    assert.equal(combineReplies([p, p], NAMES).kind, 'forward')
    assert.equal(errorOf(combineReplies([p, serializeParameterDescription([TEXT])], NAMES)).code, '42804')
    const text = serializeCopyOutResponse(0, [0])
    assert.equal(errorOf(combineReplies([text, serializeCopyOutResponse(1, [1])], NAMES)).code, '42804')
  })

  it('CommandComplete: counts summed into a new message', () => {
    const result = combineReplies(
      [serializeCommandComplete('SELECT 2'), serializeCommandComplete('SELECT 0')],
      NAMES,
    )
    assert.deepEqual(result, { kind: 'message', bytes: serializeCommandComplete('SELECT 2') })
  })

  it('CommandComplete: 0A000 quoting both tags when the commands differ', () => {
    const result = combineReplies(
      [serializeCommandComplete('BEGIN'), serializeCommandComplete('COMMIT')],
      NAMES,
    )
    assert.deepEqual(errorOf(result), {
      code: '0A000',
      message: 'shard-a and shard-b completed different commands',
      detail: 'shard-a sent "BEGIN", shard-b sent "COMMIT".',
    })
  })

  it('ReadyForQuery: the first server with E, else T, else I', () => {
    const [I, T, E] = [TxnStatus.Idle, TxnStatus.InTransaction, TxnStatus.Failed].map(serializeReadyForQuery)
    const ready = (...z: Buffer[]) => combineReplies(z, NAMES)
    assert.deepEqual(ready(I!, I!, I!), { kind: 'forward', server: 0 })
    assert.deepEqual(ready(I!, T!, T!), { kind: 'forward', server: 1 })
    assert.deepEqual(ready(T!, I!, E!), { kind: 'forward', server: 2 })
  })

  it('PortalSuspended next to CommandComplete: the portal still has rows, PortalSuspended goes out', () => {
    const result = combineReplies([serializeCommandComplete('SELECT 3'), serializePortalSuspended()], NAMES)
    assert.deepEqual(result, { kind: 'forward', server: 1 })
  })

  it('different message types: 0A000 naming what each server sent', () => {
    const result = combineReplies([serializeBindComplete(), serializeCommandComplete('SELECT 1')], NAMES)
    assert.deepEqual(errorOf(result), {
      code: '0A000',
      message: 'shard-a and shard-b answered the same request differently',
      detail: 'shard-a sent BindComplete where shard-b sent CommandComplete.',
    })
  })

  it('COPY FROM STDIN cannot run on several servers', () => {
    assert.equal(
      errorOf(combineReplies([copyIn, copyIn], NAMES)).message,
      'CopyInResponse cannot be combined from several servers',
    )
  })
})
