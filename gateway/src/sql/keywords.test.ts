import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPrimaryFunction, KEYWORD_TEXT, Kw, lookupKeyword } from './keywords.js'

/** Looks `word` up from the middle of a larger buffer, so the range bounds matter. */
function find(word: string): number {
  const buf = Buffer.from(`xx ${word} yy`)
  return lookupKeyword(buf, 3, 3 + Buffer.byteLength(word))
}

describe('lookupKeyword', () => {
  it('finds every keyword in lower, upper and mixed case', () => {
    for (let id = 1; id < KEYWORD_TEXT.length; id++) {
      const k = KEYWORD_TEXT[id]!
      const mixed = [...k].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')
      assert.equal(find(k), id, k)
      assert.equal(find(k.toUpperCase()), id, k)
      assert.equal(find(mixed), id, mixed)
    }
    assert.equal(Kw.select, KEYWORD_TEXT.indexOf('select'))
  })

  it('finds nothing for other words', () => {
    for (const w of ['selec', 'selects', 'sel_ct', 'select$', 'sélect', 'x', 'pg_notifyx', 'b'.repeat(200)]) {
      assert.equal(find(w), 0, w)
    }
    assert.equal(lookupKeyword(Buffer.from('select'), 0, 0), 0)
  })

  it('folds letters only: an underscore or a digit matches only itself', () => {
    assert.equal(find('PG_NOTIFY'), Kw.pg_notify)
    for (const w of ['pgXnotify', 'pg0notify', 'pg$notify', 'pg\u00dfnotify']) assert.equal(find(w), 0, w)
  })

  it('fits its ids in the one-byte slots of its table', () => {
    assert.ok(KEYWORD_TEXT.length <= 255, `${KEYWORD_TEXT.length} keywords`)
  })
})

describe('isPrimaryFunction', () => {
  it('knows the functions that need the primary, and only those', () => {
    for (const f of ['nextval', 'setval', 'pg_advisory_xact_lock', 'pg_notify', 'lo_import']) {
      assert.equal(isPrimaryFunction(find(f)), true, f)
    }
    for (const w of ['select', 'currval', 'pg_advisory_unlock', 'then'])
      assert.equal(isPrimaryFunction(find(w)), false, w)
  })
})
