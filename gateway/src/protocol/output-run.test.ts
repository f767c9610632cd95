import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OutputRun } from './output-run.js'

describe('OutputRun', () => {
  it('joins ranges that follow each other in one buffer into one output, as a view', () => {
    const out: Buffer[] = []
    const run = new OutputRun((b) => out.push(b))
    const buf = Buffer.from('abcdefgh')
    run.add(buf, 1, 3)
    run.add(buf, 3, 4)
    run.add(buf, 4, 6)
    assert.equal(out.length, 0, 'nothing goes out before flush')
    run.flush()
    assert.deepEqual(
      out.map((b) => b.toString()),
      ['bcdef'],
    )
    assert.equal(out[0]!.buffer, buf.buffer, 'not copied')
  })

  it('hands on a range that does not continue the pending one separately, in order', () => {
    const out: string[] = []
    const run = new OutputRun((b) => out.push(b.toString()))
    const a = Buffer.from('abcd')
    run.add(a, 0, 2)
    run.add(a, 3, 4) // a gap: not contiguous
    run.add(Buffer.from('cd'), 0, 2) // the same bytes, another buffer
    run.add(a, 0, 0)
    run.flush()
    run.flush()
    assert.deepEqual(out, ['ab', 'd', 'cd'])
  })
})
