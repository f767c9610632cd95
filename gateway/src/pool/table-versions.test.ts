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

describe('TableVersions: views, the catalog hooks and the bound', () => {
  it('a write to an expanded name bumps what it expands to; mark is the newest version', () => {
    const v = new TableVersions(() => 1)
    v.expand('db', 'public.v', ['public.t', 'public.u'])
    const before = v.mark
    const bumped = v.bump('db', ['public.v'])
    assert.ok(bumped > before)
    assert.equal(v.mark, bumped)
    for (const t of ['public.v', 'public.t', 'public.u']) assert.equal(v.version('db', t), bumped, t)
    assert.equal(v.version('other', 'public.t'), v.base, 'expansions are per database')
  })

  it('names with no expansion go to the resolver once per bump; bump(…, false) does not ask', () => {
    const v = new TableVersions(() => 1)
    const asked: string[][] = []
    v.resolver = (db, tables) => asked.push([db, ...tables])
    v.expand('db', 'public.known', [])
    v.bump('db', ['public.known', 'public.new', 'public.other'])
    v.bump('db', ['public.quiet'], false)
    assert.deepEqual(asked, [['db', 'public.new', 'public.other']])
  })

  it('bumpAll forgets the database’s expansions and tells its listeners', () => {
    const v = new TableVersions(() => 1)
    const told: string[] = []
    v.onBumpAll((db) => told.push(db))
    v.expand('db', 'public.v', ['public.t'])
    v.bumpAll('db')
    assert.deepEqual(told, ['db'])
    assert.equal(v.expansion('db', 'public.v'), undefined)
  })

  it('past maxTables the per-table map is dropped and the floor takes the newest version', () => {
    const v = new TableVersions(() => 1, 3)
    v.bump('db', ['public.a', 'public.b'])
    const c = v.bump('db', ['public.c'])
    assert.equal(v.tableCount('db'), 3)
    const d = v.bump('db', ['public.d'])
    assert.equal(v.tableCount('db'), 0, 'the map is gone')
    assert.ok(d > c)
    for (const t of ['public.a', 'public.c', 'public.d', 'public.never'])
      assert.equal(v.version('db', t), d, t)
    const e = v.bump('db', ['public.a'])
    assert.equal(v.version('db', 'public.a'), e, 'later bumps count again')
    assert.equal(v.version('db', 'public.b'), d)
  })

  it('the expansions are bounded too', () => {
    const v = new TableVersions(() => 1, 2)
    v.expand('db', 'public.a', [])
    v.expand('db', 'public.b', [])
    v.expand('db', 'public.c', ['public.t'])
    assert.equal(v.expansion('db', 'public.a'), undefined, 'started over')
    assert.deepEqual(v.expansion('db', 'public.c'), ['public.t'])
  })
})
