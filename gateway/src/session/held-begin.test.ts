import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { serialize } from 'pg-protocol'
import { BEGIN_REPLY, holdableBegin } from './held-begin.js'

const q = (text: string) => serialize.query(text)

describe('held BEGIN', () => {
  test('plain BEGIN forms Postgres always accepts are held', () => {
    for (const text of [
      'begin',
      'BEGIN;',
      '  begin work ',
      'begin transaction',
      'START TRANSACTION',
      'begin isolation level read committed',
      'begin isolation level repeatable read, deferrable',
      'start transaction isolation level read uncommitted not deferrable;',
    ])
      assert.equal(holdableBegin(q(text)), text, text)
  })

  test('anything else goes to a server as it is', () => {
    for (const text of [
      'begin read only', // routed at once: it names its access mode
      'begin isolation level serializable',
      'begin level', // a syntax error Postgres must report
      '/* c */ begin',
      'begin; select 1',
      'beginx',
    ])
      assert.equal(holdableBegin(q(text)), undefined, text)
    assert.equal(holdableBegin(Buffer.concat([q('begin'), q('select 1')])), undefined, 'two messages')
    assert.equal(holdableBegin(serialize.sync()), undefined, 'not a Query')
  })

  test('the reply is what Postgres sends for BEGIN', () => {
    // CommandComplete "BEGIN", ReadyForQuery 'T'
    assert.deepEqual(
      BEGIN_REPLY,
      Buffer.from([0x43, 0, 0, 0, 10, ...Buffer.from('BEGIN\0'), 0x5a, 0, 0, 0, 5, 0x54]),
    )
  })
})
