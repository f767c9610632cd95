import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classifySql, classifyStatement } from './classify.js'
import type { SecondOpinion } from './second-opinion.js'
import { classifyCached, ShapeCache } from './shape-cache.js'
import { cachedClassifier } from './testing/cached-classifier.js'
import { classifyCases } from './testing/classify-cases.js'
import { multiStatementCases } from './testing/multi-statement-cases.js'
import { parameterCommandCases } from './testing/parameter-command-cases.js'

/** Classifies `text` through `cache`. */
function via(cache: ShapeCache, text: string, scs = true) {
  const buf = Buffer.from(text)
  return cache.classify(buf, 0, buf.length, scs)
}

describe('shape cache: the classifier cases, answered from the cache', () => {
  const classifier = cachedClassifier()
  classifyCases(classifier)
  multiStatementCases(classifier)
  parameterCommandCases(classifier)
})

/** A small seeded PRNG (mulberry32), so every run tests the same texts. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Words and literals the classifier reacts to, to be strung together at random. */
const FRAGMENTS = [
  ...['select', 'insert', 'update', 'delete', 'with', 'as', 'explain', 'analyze', 'verbose', 'copy'],
  ...['from', 'to', 'into', 'for', 'share', 'key', 'no', 'nextval', 'set', 'show', 'reset', 'local'],
  ...['begin', 'start', 'transaction', 'read', 'only', 'write', 'commit', 'rollback', 'and', 'chain'],
  ...['prepare', 'prepared', 'create', 'function', 'atomic', 'end', 'case', 'x', 'T', '"Q"', '$1'],
  ...['(', ')', '(', ')', ';', ';', ',', '=', '-', '0', '1', '42', '.5', "'s'", "E'\\''", '$$;$$'],
  ...['/* c */', '-- c\n', "B'01'", 'true', 'off', 'all', 'default', "'", '/*'],
  ...['explain (analyze 0)', 'explain (analyze 1)', "nextval('s')", 'for update', 'set x =', "set x to 'a'"],
]

describe('shape cache: random texts', () => {
  it('answers every text as the classifier does, with an LRU small enough to evict', () => {
    const r = prng(19)
    const { classifySql: check } = cachedClassifier(new ShapeCache({ maxShapes: 64, secondOpinion: null }))
    for (let n = 0; n < 3000; n++) {
      const words: string[] = []
      for (let k = 1 + Math.floor(r() * 14); k > 0; k--)
        words.push(FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]!)
      check(words.join(r() < 0.5 ? ' ' : '\n'), r() < 0.9)
    }
  })
})

describe('shape cache: hits', () => {
  it('classifies a shape once, then answers its texts from the entry', () => {
    const cache = new ShapeCache({ secondOpinion: null })
    const a = via(cache, 'SELECT abalance FROM pgbench_accounts WHERE aid = 1;')
    const b = via(cache, 'select abalance from pgbench_accounts where aid = 2;')
    const c = via(cache, 'select abalance from pgbench_accounts where aid = 3;')
    assert.deepEqual(cache.counters, { ...cache.counters, hits: 2, misses: 1, reclassified: 0 })
    assert.equal(b, c) // one object for every hit
    assert.deepEqual(b, a)
  })

  it('leaves the literals of the text just classified in `shape`, for a sharding key', () => {
    const cache = new ShapeCache({ secondOpinion: null })
    via(cache, 'select * from t where id = 5')
    const buf = Buffer.from("select * from t where id = 123 and s = 'x'")
    cache.classify(buf, 0, buf.length)
    const { shape } = cache
    assert.equal(shape.literalCount, 2)
    assert.equal(buf.toString('utf8', shape.literalStart(0), shape.literalEnd(0)), '123')
  })

  it('decodes each text its own leading comments on a hit', () => {
    const cache = new ShapeCache({ secondOpinion: null })
    via(cache, 'select 1')
    const info = via(cache, '/* shard_id: 7 */ -- x\nselect 2')
    assert.equal(cache.counters.hits, 1)
    assert.deepEqual(info.leadingComments, ['/* shard_id: 7 */', '-- x'])
    assert.deepEqual(via(cache, 'select 3').leadingComments, [])
  })

  it('reads a SET value from each text', () => {
    const cache = new ShapeCache({ secondOpinion: null })
    via(cache, "set application_name = 'a'")
    const info = via(cache, "SET application_name = 'b'")
    assert.equal(info.parameter?.value, "'b'")
    assert.equal(cache.counters.reclassified, 1)
  })

  it('is bounded: the least recently used shapes go', () => {
    const cache = new ShapeCache({ maxShapes: 3, secondOpinion: null })
    for (const t of ['select a', 'select b', 'select c', 'select d', 'select e']) via(cache, t)
    assert.equal(cache.size, 3)
    assert.equal(cache.evictions, 2)
    via(cache, 'select a')
    assert.equal(cache.counters.misses, 6)
    via(cache, 'select e')
    assert.equal(cache.counters.hits, 1)
  })

  it('classifyCached uses the default cache', () => {
    const buf = Buffer.from('select 1 for update')
    assert.deepEqual(classifyCached(buf, 0, buf.length), classifyStatement(buf, 0, buf.length))
  })
})

describe('shape cache: the second opinion', () => {
  it('turns a read into a write where pgsql-ast-parser finds one', () => {
    // The tokenizer does not decode U&"…" names; pgsql-ast-parser reads this as `u & nextval('s')`,
    // wrongly, but finds the call of nextval, which Postgres would make.
    const cache = new ShapeCache()
    const text = `select U&"nextval"('s')`
    assert.equal(classifySql(text).kind, 'read')
    assert.equal(via(cache, text).kind, 'write')
    assert.equal(via(cache, `select U&"nextval"('t')`).kind, 'write') // from the cache
    assert.equal(cache.counters.disagreements, 1)
  })

  it('keeps its verdict on a SET shape, whose parameter is read from each text', () => {
    const cache = new ShapeCache({ secondOpinion: () => [false, true] })
    via(cache, "set application_name = 'a'; select 1")
    const info = via(cache, "set application_name = 'b'; select 2")
    assert.deepEqual([info.kind, info.kinds, info.parameter?.value], ['write', ['set', 'write'], "'b'"])
  })

  it('is rationed: a budget refilled by classifications, unchecked reads asked on a later hit', () => {
    let asked = 0
    const secondOpinion: SecondOpinion = () => {
      asked++
      return [true]
    }
    const cache = new ShapeCache({ secondOpinion, secondOpinionBurst: 2, secondOpinionEvery: 4 })
    assert.equal(via(cache, 'select a').kind, 'write')
    assert.equal(via(cache, 'select b').kind, 'write')
    assert.equal(via(cache, 'select c').kind, 'read') // budget spent: the tokenizer decides, for now
    assert.equal(cache.counters.deferred, 1)
    assert.equal(via(cache, 'select c').kind, 'read') // a quarter more a call: not yet a whole parse
    assert.equal(via(cache, 'select c').kind, 'write') // now a whole one: asked on this hit
    assert.equal(via(cache, 'select c').kind, 'write')
    assert.equal(asked, 3)
    assert.equal(cache.counters.asked, 3)
  })

  it('is asked only about reads, short enough, with standard strings, and only turns reads into writes', () => {
    const asked: string[] = []
    const secondOpinion: SecondOpinion = (sql) => {
      asked.push(sql)
      return sql.includes('x') ? [true] : [false]
    }
    const cache = new ShapeCache({ secondOpinion, maxSecondOpinionBytes: 20 })
    assert.equal(via(cache, 'select x').kind, 'write')
    assert.equal(via(cache, 'select y').kind, 'read')
    assert.equal(via(cache, 'insert into t values (1)').kind, 'write')
    assert.equal(via(cache, 'select x from a_long_table_name').kind, 'read')
    assert.equal(via(cache, 'select x, 1', false).kind, 'read')
    assert.deepEqual(asked, ['select x', 'select y'])
    assert.deepEqual(cache.counters, { ...cache.counters, disagreements: 1, notAsked: 2 })
  })

  it('leaves the decision to the tokenizer when the parser cannot parse', () => {
    const cache = new ShapeCache({ secondOpinion: () => undefined })
    assert.equal(via(cache, 'select 1').kind, 'read')
    assert.equal(cache.counters.unparsed, 1)
  })

  it('marks the statements it finds writing, or every read when the two readers split differently', () => {
    const aligned = new ShapeCache({ secondOpinion: () => [false, false, true] })
    const a = via(aligned, 'begin; select 1; select 2')
    assert.deepEqual([a.kind, a.kinds], ['write', ['begin', 'read', 'write']])
    const split = new ShapeCache({ secondOpinion: () => [true] })
    const b = via(split, 'select 1; begin; select 2')
    assert.deepEqual([b.kind, b.kinds], ['write', ['write', 'begin', 'write']])
    assert.deepEqual(via(split, 'select 3; begin; select 4'), b)
  })
})
