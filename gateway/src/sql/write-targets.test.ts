import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sqlCacheFacts } from './cache-facts.js'
import { ShapeCache } from './shape-cache.js'
import { WriteTargetCache } from './write-targets.js'

/** Classifies `text` (reading its shape) and looks its targets up, as routed-writes.ts does. */
function targetsOf(shapes: ShapeCache, cache: WriteTargetCache, text: string) {
  const buf = Buffer.from(`${text}\0`)
  shapes.classify(buf, 0, buf.length)
  return cache.of(buf, 0, buf.length, shapes.shape)
}

describe('write targets by shape', () => {
  it('a write with new literals hits its shape and names the same tables', () => {
    const shapes = new ShapeCache({ secondOpinion: null })
    const cache = new WriteTargetCache()
    const a = 'UPDATE pgbench_accounts SET abalance = abalance + 12 WHERE aid = 5;'
    const b = "update pgbench_accounts set abalance = abalance + 4071 where aid = 99981 ; -- x 'y'"
    assert.deepEqual(targetsOf(shapes, cache, a), ['public.pgbench_accounts'])
    assert.deepEqual(targetsOf(shapes, cache, b), ['public.pgbench_accounts'])
    assert.deepEqual([cache.hits, cache.misses], [1, 1])
  })

  it('a different table, schema or quoted name is another shape', () => {
    const shapes = new ShapeCache({ secondOpinion: null })
    const cache = new WriteTargetCache()
    assert.deepEqual(targetsOf(shapes, cache, 'insert into t values (1)'), ['public.t'])
    assert.deepEqual(targetsOf(shapes, cache, 'insert into u values (1)'), ['public.u'])
    assert.deepEqual(targetsOf(shapes, cache, 'insert into s.t values (2)'), ['s.t'])
    assert.deepEqual(targetsOf(shapes, cache, 'insert into "T" values (3)'), ['public.T'])
    assert.deepEqual(targetsOf(shapes, cache, 'INSERT INTO T VALUES (4)'), ['public.t'])
    assert.equal(cache.hits, 1)
  })

  it('unknown targets stay unknown on a hit', () => {
    const shapes = new ShapeCache({ secondOpinion: null })
    const cache = new WriteTargetCache()
    assert.equal(targetsOf(shapes, cache, 'do $$ begin perform 1; end $$'), undefined)
    assert.equal(targetsOf(shapes, cache, 'do $$ begin delete from t; end $$'), undefined)
    assert.equal(targetsOf(shapes, cache, 'create index on t (a)'), undefined)
  })

  it('agrees with the per-text facts the HTTP headers use', () => {
    const shapes = new ShapeCache({ secondOpinion: null })
    const cache = new WriteTargetCache()
    const texts = [
      'with x as (delete from a returning *) insert into b select * from x',
      'truncate table only a, s.b',
      "copy t (a) from stdin with (format 'csv')",
      'select * into newt from t where a = 1',
      'merge into t using s on t.a = s.a when matched then update set b = 1',
      'update t set a = 1; insert into u values (2)',
    ]
    for (const text of texts) {
      assert.deepEqual(targetsOf(shapes, cache, text), sqlCacheFacts(text).writes, text)
      assert.deepEqual(targetsOf(shapes, cache, text), sqlCacheFacts(text).writes, `${text} (hit)`)
    }
  })
})

describe('write targets never touch the message', () => {
  it('reading a Node Buffer (whose slice() is a view) leaves its bytes as the client sent them', () => {
    const shapes = new ShapeCache({ secondOpinion: null })
    const cache = new WriteTargetCache()
    const text = 'UPDATE Accounts SET Balance = 1 WHERE Id IN (SELECT Lower(X) FROM "Q")\0'
    const buf = Buffer.from(text)
    shapes.classify(buf, 0, buf.length)
    assert.deepEqual(cache.of(buf, 0, buf.length, shapes.shape), ['public.accounts'])
    assert.equal(buf.toString(), text)
  })
})
