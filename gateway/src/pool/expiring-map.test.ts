import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ExpiringMap } from './expiring-map.js'

describe('ExpiringMap', () => {
  it('forgets an entry once its time to live has passed', () => {
    let now = 0
    const m = new ExpiringMap<string, number>(10, 100, () => now)
    m.set('a', 1)
    now = 99
    assert.equal(m.get('a'), 1)
    now = 100
    assert.equal(m.get('a'), undefined)
    assert.equal(m.size, 0)
  })

  it('pushes out the oldest entry when full; setting again renews', () => {
    let now = 0
    const m = new ExpiringMap<string, number>(2, 100, () => now)
    m.set('a', 1)
    m.set('b', 2)
    now = 50
    m.set('a', 3) // renewed: now the newest
    m.set('c', 4)
    assert.equal(m.get('b'), undefined)
    assert.equal(m.get('a'), 3)
    now = 120
    assert.equal(m.get('a'), 3, 'renewed at 50')
    m.clear()
    assert.equal(m.get('c'), undefined)
    assert.throws(() => new ExpiringMap(0, 1), RangeError)
  })
})
