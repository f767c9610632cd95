import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { serialize } from 'pg-protocol'
import { readBindParams, readParseParamTypes } from './bind-params.js'
import { MessageFormatError } from './reader.js'

describe('readBindParams', () => {
  test('text, binary and NULL values with their format codes', () => {
    const int8 = Buffer.alloc(8)
    int8.writeBigInt64BE(-7n)
    const msg = serialize.bind({ portal: 'p', statement: 's1', values: ['42', int8, null] })
    const { formats, values } = readBindParams(msg, 0, msg.length)
    assert.deepEqual(formats, [0, 1, 0])
    assert.equal(values[0]!.toString(), '42')
    assert.deepEqual(values[1], int8)
    assert.equal(values[2], null)
  })

  test('no parameters', () => {
    const msg = serialize.bind({})
    assert.deepEqual(readBindParams(msg, 0, msg.length), { formats: [], values: [] })
  })

  test('a message at an offset, and one cut inside a value', () => {
    // The message ends with the value '1' and then 4 bytes of result formats: 5 bytes short cuts the value.
    const msg = serialize.bind({ values: ['1'] })
    const framed = Buffer.concat([Buffer.from('xyz'), msg])
    assert.equal(readBindParams(framed, 3, framed.length).values[0]!.toString(), '1')
    assert.throws(() => readBindParams(msg, 0, msg.length - 5), MessageFormatError)
  })
})

describe('readParseParamTypes', () => {
  test('declared OIDs, and none', () => {
    const typed = serialize.parse({ name: 'q', text: 'select $1, $2', types: [20, 0] })
    assert.deepEqual(readParseParamTypes(typed, 0, typed.length), [20, 0])
    const untyped = serialize.parse({ text: 'select 1' })
    assert.deepEqual(readParseParamTypes(untyped, 0, untyped.length), [])
  })
})
