import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { serializeDataRow, serializeErrorResponse, serializeNoticeResponse } from '../protocol/backend.js'
import { ReadRetry } from './read-retry.js'

const notice = serializeNoticeResponse({ severity: 'WARNING', code: '57P01', message: 'terminating' })
const fatal = serializeErrorResponse({ severity: 'FATAL', code: '57P01', message: 'terminating' })
const error = serializeErrorResponse({ severity: 'ERROR', code: '42P01', message: 'no table' })
const row = serializeDataRow(['1'])

describe('ReadRetry', () => {
  test('a dying server’s notices and FATAL are held; the request can be taken once', () => {
    const r = new ReadRetry()
    const request = Buffer.from('Q-bytes')
    r.arm(request, 1)
    request.fill(0) // the framer's buffer is reused: the retry kept its own copy
    assert.equal(r.hold(notice, 0, notice.length), true)
    assert.equal(r.hold(fatal, 0, fatal.length), true)
    assert.deepEqual(r.take(), { bytes: Buffer.from('Q-bytes'), syncs: 1 })
    assert.equal(r.take(), undefined, 'once only')
    assert.equal(r.armed, false)
  })

  test('the first byte of an answer ends it; held notices go first', () => {
    const r = new ReadRetry()
    r.arm(Buffer.from('Q'), 1)
    assert.equal(r.hold(notice, 0, notice.length), true)
    assert.equal(r.hold(row, 0, row.length), false)
    assert.deepEqual(r.takeHeld(), notice)
    assert.equal(r.take(), undefined, 'answered: never sent again')
  })

  test('an ERROR is an answer, not a parting word', () => {
    const r = new ReadRetry()
    r.arm(Buffer.from('Q'), 1)
    assert.equal(r.hold(Buffer.concat([notice, error]), 0, notice.length + error.length), false)
    assert.equal(r.take(), undefined)
  })
})
