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

  it('a hit saves an entry that has aged by a quarter of the capacity', () => {
    const lru = new Lru<number, number>(8) // refreshes after 2 sets
    for (let k = 0; k < 8; k++) lru.set(k, k)
    assert.equal(lru.get(0), 0) // aged 7: moved to the newest end
    lru.set(8, 8)
    assert.deepEqual([...lru.keys()], [2, 3, 4, 5, 6, 7, 0, 8])
    assert.equal(lru.get(8), 8) // just set: left where it is, no delete and set
    assert.deepEqual([...lru.keys()], [2, 3, 4, 5, 6, 7, 0, 8])
  })

  it('peek does not save an entry', () => {
    const lru = new Lru<number, number>(4)
    for (let k = 0; k < 4; k++) lru.set(k, k)
    assert.equal(lru.peek(0), 0)
    lru.set(4, 4)
    assert.equal(lru.peek(0), undefined)
  })

  it('never evicts an entry hit within the last three quarters of its capacity in sets', () => {
    const capacity = 100
    const lru = new Lru<number, number>(capacity)
    let next = 0
    lru.set(-1, -1)
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (capacity * 3) / 4 - 1; i++) lru.set(next++, 0)
      assert.equal(lru.get(-1), -1, `round ${round}`)
    }
    assert.ok(lru.size <= capacity)
  })

  it('needs room for one entry, and can be emptied', () => {
    assert.throws(() => new Lru(0), RangeError)
    const lru = new Lru<string, number>(1)
    lru.set('a', 1)
    lru.set('b', 2)
    assert.deepEqual([...lru.keys()], ['b'])
    assert.ok(lru.delete('b'))
    lru.set('c', 3)
    lru.clear()
    assert.equal(lru.size, 0)
  })
})
