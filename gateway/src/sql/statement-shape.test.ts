import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StatementShape } from './statement-shape.js'

/** What tells shapes apart: both hashes, the folded length and the token count. */
function shapeOf(text: string, standardConformingStrings = true): string {
  const buf = Buffer.from(text)
  const s = new StatementShape().read(buf, 0, buf.length, standardConformingStrings)
  return `${s.hash1}:${s.hash2}:${s.length}:${s.tokens}`
}

function assertSame(texts: string[]): void {
  const first = shapeOf(texts[0]!)
  for (const t of texts.slice(1)) assert.equal(shapeOf(t), first, `${texts[0]} vs ${t}`)
}

function assertAllDifferent(texts: string[]): void {
  const seen = new Map<string, string>()
  for (const t of texts) {
    const s = shapeOf(t)
    assert.ok(!seen.has(s), `${seen.get(s)} and ${t} share a shape`)
    seen.set(s, t)
  }
}

/** The literals of `text` as the shape records them, as text. */
function literals(text: string): string[] {
  const buf = Buffer.from(`xx${text}`) // offsets are into the caller's buffer, wherever the text starts
  const s = new StatementShape().read(buf, 2, buf.length)
  return Array.from({ length: s.literalCount }, (_, i) =>
    buf.toString('utf8', s.literalStart(i), s.literalEnd(i)),
  )
}

describe('statement shape: what folds', () => {
  it('is the same across literal values, whitespace, comments and keyword case', () => {
    assertSame([
      'SELECT abalance FROM pgbench_accounts WHERE aid = 123;',
      'select abalance from pgbench_accounts where aid = 98765;',
      'SELECT  abalance\n\tFROM pgbench_accounts /* hi */ WHERE aid=4 -- bye\n;',
      '/* leading */ select ABALANCE from PGBENCH_ACCOUNTS where AID = 1.5e3;',
    ])
    assertSame(["select * from t where s = 'a' and n = 1", "select * from t where s = E'b\\'c' and n = 2"])
    assertSame(["select $$x$$, B'01'", "select $q$y;$q$, X'ff'", "select U&'\\0041', N'z'"])
    assertSame(["select 'a'\n'b'", "select 'one literal continued'"])
  })

  it('keeps parameters, identifiers, operators and structure', () => {
    assertAllDifferent([
      'select * from t where a = 1',
      'select * from t where a = $1',
      'select * from t where a = $2',
      'select * from t where a > 1',
      'select * from t where b = 1',
      'select * from t where a = 1 and b = 2',
      'select * from u where a = 1',
      'select * from "T" where a = 1',
      'select * from "t" where a = 1',
      'select * from t where a = -1',
      "select * from t where a = '1'",
      'select * from t where a = 1;',
    ])
    assertAllDifferent(['select a bc', 'select ab c', 'select abc', 'select "ab"c'])
  })

  it('keeps the number 0 apart, which EXPLAIN (ANALYZE 0) reads', () => {
    assertAllDifferent(['explain (analyze 0) delete from t', 'explain (analyze 1) delete from t'])
    assertSame(['explain (analyze 1) delete from t', 'explain (analyze 2) delete from t'])
    assertSame(['select 00', 'select 7', 'select 0.0'])
  })

  it('folds only ASCII letters of unquoted words, as Postgres does', () => {
    assertSame(['select Ét', 'SELECT ÉT'])
    assertAllDifferent(['select ét', 'select Ét'])
  })

  it('tells an unterminated text from a terminated one', () => {
    assertAllDifferent(["select 'abc", "select 'abc'"])
    assertAllDifferent(['select 1 /* open', 'select 1'])
  })

  it('follows standard_conforming_strings: the same bytes may lex into other tokens', () => {
    const text = "select 'a\\'; select 1 --'"
    assert.notEqual(shapeOf(text), shapeOf(text, false))
  })
})

describe('statement shape: literals and comments', () => {
  it('records each literal token as written, in order', () => {
    assert.deepEqual(literals("select 1, 'a''b', E'c\\'d', $t$e$f$t$, B'01', X'1F', 2.5e-3, .5, 0x1F"), [
      '1',
      "'a''b'",
      "E'c\\'d'",
      '$t$e$f$t$',
      "B'01'",
      "X'1F'",
      '2.5e-3',
      '.5',
      '0x1F',
    ])
    assert.deepEqual(literals("select U&'\\0041', N'n', 'x'\n  'y'"), ["U&'\\0041'", "N'n'", "'x'\n  'y'"])
  })

  it('leaves the sign out of a number and parameters out of the literals', () => {
    assert.deepEqual(literals('select * from t where a = -1 and b = $1 and c = - 2'), ['1', '2'])
    assert.deepEqual(literals('select 1 -- 2\n /* 3 */'), ['1'])
  })

  it('grows its scratch arrays for many literals', () => {
    const values = Array.from({ length: 500 }, (_, i) => `(${i}, 'v${i}')`).join(', ')
    const got = literals(`insert into t values ${values}`)
    assert.equal(got.length, 1000)
    assert.equal(got[998], '499')
    assert.equal(got[999], "'v499'")
  })

  it('notes the comments before the first statement, past empty statements', () => {
    const text = '/* a */ -- b\n ; /* c */ select 1 /* d */; /* e */ select 2'
    const buf = Buffer.from(text)
    const s = new StatementShape().read(buf, 0, buf.length)
    const comments = Array.from({ length: s.commentCount }, (_, i) =>
      buf.toString('utf8', s.comments[2 * i]!, s.comments[2 * i + 1]!),
    )
    assert.deepEqual(comments, ['/* a */', '-- b', '/* c */'])
  })

  it('reads in place, ignoring a trailing NUL, and is reusable', () => {
    const s = new StatementShape()
    const body = Buffer.from('select 42\0')
    const message = Buffer.concat([Buffer.from('Q\0\0\0\x0e'), body, Buffer.from('Sjunk')])
    const inPlace = s.read(message, 5, 5 + body.length)
    assert.equal(inPlace.literalCount, 1)
    assert.equal(message.toString('utf8', inPlace.literalStart(0), inPlace.literalEnd(0)), '42')
    const key = inPlace.key
    assert.equal(s.read(Buffer.from('SELECT 7'), 0, 8).key, key)
    assert.ok(Number.isSafeInteger(key))
    assert.ok(s.sameAs({ hash2: s.hash2, length: s.length, tokens: s.tokens }))
    assert.ok(!s.sameAs({ hash2: s.hash2, length: s.length + 1, tokens: s.tokens }))
  })
})

describe('statement shape: hash quality', () => {
  it('gives distinct keys to many near-identical shapes', () => {
    const keys = new Set<number>()
    const n = 20_000
    for (let i = 0; i < n; i++) {
      const buf = Buffer.from(`select c${i} from t${i % 97} where k${i % 13} = $${i % 7}`)
      keys.add(new StatementShape().read(buf, 0, buf.length).key)
    }
    assert.equal(keys.size, n)
  })
})
