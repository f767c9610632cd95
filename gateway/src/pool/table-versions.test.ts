import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TableVersions } from './table-versions.js'

describe('TableVersions', () => {
  it('starts every table at the base, then only grows, per database', () => {
    let now = 1_000
    const v = new TableVersions(() => now)
    assert.equal(v.base, 1_000_000)
    assert.equal(v.version('db', 'public.t'), v.base)
    const first = v.bump('db', ['public.t'])
    assert.equal(first, 1_000_001, 'the same millisecond: previous + 1')
    assert.equal(v.version('db', 'public.t'), first)
    assert.equal(v.version('db', 'public.u'), v.base)
    assert.equal(v.version('other', 'public.t'), v.base, 'databases are apart')
    now = 5_000
    assert.equal(v.bump('db', ['public.u']), 5_000_000, 'a later millisecond: its time × 1000')
    now = 4_000 // the clock went back: still monotonic
    assert.ok(v.bump('db', ['public.t']) > 5_000_000)
  })

  it('bumpAll raises every table of one database, named or not', () => {
    let now = 1
    const v = new TableVersions(() => now)
    v.bump('db', ['public.t'])
    now = 2
    const all = v.bumpAll('db')
    assert.equal(v.version('db', 'public.t'), all)
    assert.equal(v.version('db', 'public.never'), all)
    assert.equal(v.version('other', 'public.t'), v.base)
    assert.deepEqual(v.versions('db', ['public.t', 'public.x']), { 'public.t': all, 'public.x': all })
    const later = v.bump('db', ['public.t'])
    assert.ok(later > all)
    assert.equal(v.version('db', 'public.x'), all)
  })

  it('a restarted process starts above what the last one handed out', () => {
    let now = 10
    const before = new TableVersions(() => now)
    for (let i = 0; i < 500; i++) before.bump('db', ['public.t'])
    now = 11
    const after = new TableVersions(() => now)
    assert.ok(after.version('db', 'public.t') > before.version('db', 'public.t'))
  })
})
