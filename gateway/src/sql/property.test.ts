import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classifySql, classifyStatement } from './classify.js'
import type { StatementKind } from './statement-info.js'

/** A small seeded PRNG (mulberry32), so every run tests the same texts. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

type Rand = () => number
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!

const CHARS = [
  ';',
  ';',
  "'",
  '"',
  '$',
  '$q$',
  '\\',
  '-',
  '--',
  '/',
  '/*',
  '*/',
  '*',
  'a',
  ' ',
  '\n',
  'é',
  '(',
  ')',
  'E',
]

function payload(r: Rand): string {
  let s = ''
  for (let n = Math.floor(r() * 10); n > 0; n--) s += pick(r, CHARS)
  return s
}

/** The first `$tN$` tag that cannot close early inside `p`. */
function dollarTag(p: string): string {
  for (let n = 0; ; n++) if (!`${p}$t${n}$`.slice(0, -1).includes(`$t${n}$`)) return `$t${n}$`
}

/** Ways to put an arbitrary payload into one literal, identifier or comment. */
const QUOTERS: ReadonlyArray<(p: string, r: Rand) => string> = [
  (p) => `'${p.replaceAll("'", "''")}'`,
  (p) => `E'${p.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
  (p) => `U&'${p.replaceAll("'", "''")}'`,
  (p) => `N'${p.replaceAll("'", "''")}'`,
  (p) => `${dollarTag(p)}${p}${dollarTag(p)}`,
  (p) => `"${p.replaceAll('"', '""')}x"`,
  (p) => `/* ${p.replaceAll('*', '+')} /* ${p.replaceAll('/', '+')} */ */`,
  (p) => `-- ${p.replaceAll('\n', ' ')}\n`,
  (p, r) => `'${p.replaceAll("'", "''")}'${pick(r, ['\n', ' --c\n ', '\r\n\t'])}'${p.replaceAll("'", "''")}'`,
  (p, r) => {
    // The continued part is still an E string: its backslashes escape too.
    const escaped = p.replaceAll('\\', '\\\\')
    return `E'${escaped.replaceAll("'", "''")}'\n'${escaped.replaceAll("'", pick(r, ["''", "\\'"]))}'`
  },
]

/** Statements with a slot for a quoted payload, and their kind. */
const TEMPLATES: ReadonlyArray<readonly [string, StatementKind]> = [
  ['select {} from t', 'read'],
  ['SELECT a$b, $1 FROM t WHERE x = {}', 'read'],
  ['insert into t values ({}, 1e5)', 'write'],
  ['update t set a = {} where b = $2', 'write'],
  ['with a as (select {}) select * from a', 'read'],
  ['with a as (delete from t where a = {} returning *) select 1', 'write'],
  ['select {} for update', 'write'],
  ['begin {} read only', 'begin'],
  ['commit {}', 'commit'],
  ['set x = {}', 'set'],
  ['explain analyze delete from t where a = {}', 'write'],
]

const SEPARATORS = [';', ' ; ', ';\n', '; /* c */ ', ';;', '\n;\n']

/** A request of 1–5 statements; what it must classify as; the same text with no `;` in payloads. */
function request(r: Rand): { text: string; kinds: StatementKind[]; plain: string } {
  const parts: string[] = []
  const plain: string[] = []
  const kinds: StatementKind[] = []
  for (let n = 1 + Math.floor(r() * 5); n > 0; n--) {
    const [template, kind] = pick(r, TEMPLATES)
    const quoter = pick(r, QUOTERS)
    const p = payload(r)
    const seed = r()
    // A function replacement: with a string, replace() would read `$$` in the payload as a pattern.
    parts.push(template.replace('{}', () => quoter(p, () => seed)))
    plain.push(template.replace('{}', () => quoter(p.replaceAll(';', ','), () => seed)))
    kinds.push(kind)
  }
  const sep = pick(r, SEPARATORS)
  return { text: parts.join(sep), kinds, plain: plain.join(sep) }
}

describe('classify: properties over generated requests', () => {
  it('counts and classifies each statement, whatever its literals and comments hold', () => {
    const r = prng(17)
    for (let i = 0; i < 3000; i++) {
      const { text, kinds } = request(r)
      const info = classifySql(text)
      assert.deepEqual(info.kinds, kinds, text)
      assert.equal(info.statementCount, kinds.length, text)
      assert.equal(info.unterminated, false, text)
    }
  })

  it('never counts more statements because of a ; inside quotes or comments', () => {
    const r = prng(18)
    for (let i = 0; i < 3000; i++) {
      const { text, plain } = request(r)
      assert.equal(classifySql(text).statementCount, classifySql(plain).statementCount, text)
    }
  })

  it('reads the same text the same way inside any larger buffer', () => {
    const r = prng(19)
    for (let i = 0; i < 500; i++) {
      const { text } = request(r)
      const body = Buffer.from(text)
      const before = Buffer.from(payload(r))
      const buf = Buffer.concat([before, body, Buffer.from(`'$$/*${payload(r)}`)])
      assert.deepEqual(
        classifyStatement(buf, before.length, before.length + body.length),
        classifySql(text),
        text,
      )
    }
  })

  it('finds no more statements in a prefix than in the whole text', () => {
    const r = prng(20)
    for (let i = 0; i < 300; i++) {
      const buf = Buffer.from(request(r).text)
      const whole = classifyStatement(buf, 0, buf.length).statementCount
      for (let end = 0; end <= buf.length; end++) {
        assert.ok(classifyStatement(buf, 0, end).statementCount <= whole, buf.toString('utf8', 0, end))
      }
    }
  })

  it('never throws on random bytes, and keeps its counts consistent', () => {
    const r = prng(21)
    const alphabet = Buffer.from(`;'"$\\-/*() \n\r\0aEbUu&xX1é`)
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(Math.floor(r() * 40))
      for (let j = 0; j < buf.length; j++) buf[j] = r() < 0.2 ? Math.floor(r() * 256) : pick(r, [...alphabet])
      const info = classifyStatement(buf, 0, buf.length)
      const semicolons = buf.filter((b) => b === 0x3b).length
      assert.ok(info.statementCount <= semicolons + 1)
      assert.equal(info.kinds.length, info.statementCount)
    }
  })
})
