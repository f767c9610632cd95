import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Lru } from './lru.js'

describe('Lru', () => {
  it('keeps at most its capacity, evicting the least recently set first', () => {
    const lru = new Lru<string, number>(3)
    for (const [i, k] of ['a', 'b', 'c', 'd', 'e'].entries()) lru.set(k, i)
    assert.equal(lru.size, 3)
    assert.equal(lru.evictions, 2)
    assert.deepEqual([...lru.keys()], ['c', 'd', 'e'])
    assert.equal(lru.get('a'), undefined)
    assert.equal(lru.get('e'), 4)
  })

  it('setting a key again replaces it without growing', () => {
    const lru = new Lru<string, number>(2)
    lru.set('a', 1)
    lru.set('a', 2)
    assert.equal(lru.size, 1)
    assert.equal(lru.peek('a'), 2)
    assert.equal(lru.evictions, 0)
  })

  it('a hit makes an entry the most recently used', () => {
    const lru = new Lru<number, number>(4)
    for (let k = 0; k < 4; k++) lru.set(k, k)
    assert.equal(lru.get(0), 0)
    assert.equal(lru.get(2), 2)
    assert.deepEqual([...lru.keys()], [1, 3, 0, 2])
    lru.set(4, 4)
    assert.deepEqual([...lru.keys()], [3, 0, 2, 4])
  })

  it('peek does not save an entry', () => {
    const lru = new Lru<number, number>(4)
    for (let k = 0; k < 4; k++) lru.set(k, k)
    assert.equal(lru.peek(0), 0)
    lru.set(4, 4)
    assert.equal(lru.peek(0), undefined)
  })

  it('behaves as a reference LRU over random operations', () => {
    let seed = 7
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const lru = new Lru<number, number>(16)
    const ref = new Map<number, number>() // delete and set: iteration order is recency
    for (let op = 0; op < 20_000; op++) {
      const key = rand(40)
      const what = rand(10)
      if (what < 5) {
        const v = ref.get(key)
        if (v !== undefined) {
          ref.delete(key)
          ref.set(key, v)
        }
        assert.equal(lru.get(key), v)
      } else if (what < 9) {
        ref.delete(key)
        ref.set(key, op)
        if (ref.size > 16) ref.delete(ref.keys().next().value!)
        lru.set(key, op)
      } else {
        assert.equal(lru.delete(key), ref.delete(key))
      }
      if (op % 1000 === 0) assert.deepEqual([...lru.keys()], [...ref.keys()])
    }
    assert.deepEqual([...lru.keys()], [...ref.keys()])
  })

  it('needs room for one entry, and can be emptied', () => {
    assert.throws(() => new Lru(0), RangeError)
    const lru = new Lru<string, number>(1)
    lru.set('a', 1)
    lru.set('b', 2)
    assert.deepEqual([...lru.keys()], ['b'])
    assert.ok(lru.delete('b'))
    assert.ok(!lru.delete('b'))
    lru.set('c', 3)
    lru.clear()
    assert.equal(lru.size, 0)
    assert.deepEqual([...lru.keys()], [])
    lru.set('d', 4)
    assert.deepEqual([...lru.keys()], ['d'])
    assert.equal(lru.get('d'), 4)
  })
})
