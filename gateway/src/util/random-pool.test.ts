import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBase64Pooled, randomBytesPooled, randomInt32 } from './random-pool.js'

describe('random pool', () => {
  it('hands out fresh bytes of the asked length, across block refills', () => {
    const seen = new Set<string>()
    // 18-byte nonces do not divide the 4096-byte block: this crosses several refills and their edges.
    for (let i = 0; i < 1000; i++) {
      const nonce = randomBase64Pooled(18)
      assert.equal(Buffer.from(nonce, 'base64').length, 18)
      assert.match(nonce, /^[A-Za-z0-9+/]{24}$/)
      seen.add(nonce)
    }
    assert.equal(seen.size, 1000)
  })

  it('returns copies, not views of the block', () => {
    const a = randomBytesPooled(4)
    const copy = Buffer.from(a)
    for (let i = 0; i < 2000; i++) randomBytesPooled(4) // forces a refill of the block
    assert.deepEqual(a, copy)
  })

  it('gives signed 32-bit integers', () => {
    const values = new Set<number>()
    for (let i = 0; i < 100; i++) {
      const v = randomInt32()
      assert.ok(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)
      values.add(v)
    }
    assert.ok(values.size > 95)
  })
})
