import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ByteRangeQueue } from './byte-range-queue.js'

/** Everything queued, front first, as text. */
function drain(q: ByteRangeQueue): string[] {
  const out: string[] = []
  while (q.length > 0) {
    out.push(q.buf.toString('latin1', q.start, q.end))
    q.consumeTo(q.end)
  }
  return out
}

describe('ByteRangeQueue', () => {
  it('returns ranges in order, as views of the pushed buffers', () => {
    const q = new ByteRangeQueue()
    const a = Buffer.from('xxabcxx')
    q.push(a, 2, 5)
    q.push(Buffer.from('def'), 0, 3)
    q.push(a, 3, 3)
    assert.equal(q.length, 2, 'an empty range is not queued')
    assert.equal(q.bytes, 6)
    assert.equal(q.buf, a)
    assert.deepEqual(drain(q), ['abc', 'def'])
    assert.equal(q.bytes, 0)
  })

  it('consumes the front range in parts', () => {
    const q = new ByteRangeQueue()
    q.push(Buffer.from('abcdef'), 1, 6)
    q.consumeTo(3)
    assert.equal(q.bytes, 3)
    assert.equal(q.buf.toString('latin1', q.start, q.end), 'def')
  })

  it('keeps working when it is refilled before it empties (compaction)', () => {
    const q = new ByteRangeQueue()
    const seen: number[] = []
    for (let i = 0; i < 500; i++) {
      q.push(Buffer.from([i & 0xff]), 0, 1)
      q.push(Buffer.from([(i + 1) & 0xff]), 0, 1)
      seen.push(q.buf[q.start]!)
      q.consumeTo(q.end)
    }
    assert.equal(q.length, 500)
    // Pushed: 0 1, 1 2, 2 3, …; consumed one per round: 0, 1, 1, 2, 2, 3, …
    assert.deepEqual(
      seen,
      seen.map((_, k) => ((k + 1) >> 1) & 0xff),
    )
    assert.equal(q.bytes, 500)
  })

  it('clear drops everything', () => {
    const q = new ByteRangeQueue()
    q.push(Buffer.from('ab'), 0, 2)
    q.clear()
    assert.equal(q.length, 0)
    assert.equal(q.bytes, 0)
    assert.equal(q.end, 0)
  })
})
