import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  serializeCopyOutResponse,
  serializeDataRow,
  serializeEmptyQueryResponse,
  serializeNotificationResponse,
  serializeParameterDescription,
  serializeRowDescription,
} from './backend.js'
import { parseDataRowText, rowShape } from './backend-decode.js'
import { MessageFormatError } from './reader.js'

const hex = (b: Buffer) => b.toString('hex')

describe('backend serializers for result messages', () => {
  it('RowDescription: count, then name, table OID, column, type OID, size, modifier, format per column', () => {
    const msg = serializeRowDescription([{ name: 'a', typeOid: 23, typeSize: 4 }])
    assert.equal(
      hex(msg),
      // T, length 26, 1 column, "a\0", table 0, column 0, type 23, size 4, modifier -1, format 0
      '54' + '0000001a' + '0001' + '6100' + '00000000' + '0000' + '00000017' + '0004' + 'ffffffff' + '0000',
    )
    assert.equal(rowShape(msg, 0, msg.length), '1\0a\x0023\0-1')
  })

  it('DataRow: a NULL is length -1 with no bytes; text is UTF-8', () => {
    const msg = serializeDataRow(['é', null])
    // D, length 16, 2 values, length 2 + "é", length -1
    assert.equal(hex(msg), '44' + '00000010' + '0002' + '00000002' + 'c3a9' + 'ffffffff')
    assert.deepEqual(parseDataRowText(msg, 0, msg.length), ['é', null])
  })

  it('parseDataRowText: empty strings, no columns, and a row cut short', () => {
    const msg = serializeDataRow(['', 't', '0/3000028'])
    assert.deepEqual(parseDataRowText(msg, 0, msg.length), ['', 't', '0/3000028'])
    const none = serializeDataRow([])
    assert.deepEqual(parseDataRowText(none, 0, none.length), [])
    assert.throws(() => parseDataRowText(msg, 0, msg.length - 1), MessageFormatError)
  })

  it('ParameterDescription, NotificationResponse, CopyOutResponse and bodiless messages', () => {
    assert.equal(hex(serializeParameterDescription([25])), '740000000a000100000019')
    assert.equal(
      hex(serializeNotificationResponse(7, 'c', 'p')),
      '41' + '0000000c' + '00000007' + '6300' + '7000',
    )
    assert.equal(hex(serializeCopyOutResponse(0, [0, 0])), '480000000b00000200000000')
    assert.equal(hex(serializeEmptyQueryResponse()), '4900000004')
  })
})
