import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Classifier } from './classifier.js'

/**
 * The classifier's cases for several statements in one request, leading comments, texts read in place
 * from a message, and broken input. Declared for the classifier given, so the same cases check
 * `classifyStatement` and the shape cache (shape-cache.test.ts).
 */
export function multiStatementCases({ classifySql, classifyStatement }: Classifier): void {
  describe('classify: several statements in one request', () => {
    it('counts non-empty statements and combines their kinds (a write wins)', () => {
      const a = classifySql('select 1; insert into t values (1)')
      assert.equal(a.statementCount, 2)
      assert.equal(a.kind, 'write')
      assert.deepEqual(a.kinds, ['read', 'write'])
      const b = classifySql(';select 1;; ;select 2;')
      assert.equal(b.statementCount, 2)
      assert.equal(b.kind, 'read')
      assert.equal(b.firstKeyword, 'select')
    })

    it('says when a transaction opens or ends inside', () => {
      const tx = classifySql(
        'BEGIN; UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1; COMMIT;',
      )
      assert.deepEqual(tx.kinds, ['begin', 'write', 'commit'])
      assert.equal(tx.kind, 'write')
      assert.equal(tx.transactionControl, true)
      assert.equal(tx.firstKeyword, 'begin')
      const only = classifySql('begin; commit')
      assert.equal(only.kind, 'begin')
      assert.equal(classifySql('select 1; select 2').transactionControl, false)
    })

    it('ranks write > other > read > set > show > transaction control', () => {
      assert.equal(classifySql('set x = 1; select 1').kind, 'read')
      assert.equal(classifySql('show x; set y = 1').kind, 'set')
      assert.equal(classifySql('prepare p as select 1; select 1').kind, 'other')
      assert.equal(classifySql('listen c; delete from t').kind, 'write')
      assert.equal(classifySql('begin; show x').kind, 'show')
    })

    it('takes the access mode from the last statement that names one', () => {
      assert.equal(classifySql('begin; set transaction read only; select 1').readOnly, true)
      assert.equal(classifySql('begin read write; select 1').readOnly, false)
      assert.equal(classifySql('select 1; commit').readOnly, undefined)
    })

    it('never splits on a ; inside literals, identifiers, comments or parentheses', () => {
      const text = [
        "select ';'",
        "select E'\\';'",
        'select $$;$$',
        'select $q$ $$; $q$',
        'select "a;b" from t',
        'select 1 -- ;\n',
        'select /* ; /* ; */ ; */ 2',
        'create rule r as on insert to t do also (insert into a values (1); insert into b values (2))',
      ].join(';')
      assert.equal(classifySql(text).statementCount, 8)
    })

    it('calls only whitespace, comments and ; empty', () => {
      for (const text of ['', '   ', '-- c', '/* c */ ;', ';;', '\n\t']) {
        const info = classifySql(text)
        assert.equal(info.kind, 'empty', JSON.stringify(text))
        assert.equal(info.statementCount, 0)
        assert.deepEqual(info.kinds, [])
        assert.equal(info.firstKeyword, '')
      }
    })
  })

  describe('classify: leading comments', () => {
    it('keeps the comments before the first keyword, as written', () => {
      const info = classifySql(
        '/* shard_id: 2 */ -- sharding_key: 7\n select 1 /* later */; /* next */ select 2',
      )
      assert.deepEqual(info.leadingComments, ['/* shard_id: 2 */', '-- sharding_key: 7'])
      assert.deepEqual(classifySql('; /* a */ select 1').leadingComments, ['/* a */'])
      assert.deepEqual(classifySql('/* only */').leadingComments, ['/* only */'])
      assert.deepEqual(classifySql("select '/* shard_id: 1 */'").leadingComments, [])
    })
  })

  describe('classify: the bytes of a message', () => {
    it('reads a NUL-terminated text in place, inside a larger buffer', () => {
      const text = Buffer.from('select * from t for update\0')
      const message = Buffer.concat([
        Buffer.from([0x51, 0, 0, 0, 31]),
        text,
        Buffer.from('trailing junk; drop'),
      ])
      const info = classifyStatement(message, 5, 5 + text.length)
      assert.equal(info.kind, 'write')
      assert.equal(info.statementCount, 1)
      assert.equal(classifyStatement(Buffer.from('\0'), 0, 1).kind, 'empty')
    })

    it('stops at a NUL inside the range, as Postgres does', () => {
      const buf = Buffer.from('select 1\0; delete from t')
      assert.equal(classifyStatement(buf, 0, buf.length).kind, 'read')
    })
  })

  describe('classify: broken input', () => {
    it('classifies what comes before an unterminated literal or comment', () => {
      const a = classifySql("select 'abc; insert into t values (1)")
      assert.equal(a.kind, 'read')
      assert.equal(a.statementCount, 1)
      assert.equal(a.unterminated, true)
      const b = classifySql('delete from t; /* open')
      assert.equal(b.kind, 'write')
      assert.equal(b.unterminated, true)
      assert.equal(classifySql('select 1').unterminated, false)
      assert.equal(classifySql('select (1; insert into t values (1)').statementCount, 1)
      assert.equal(classifySql('select 1); insert into t values (1)').statementCount, 2)
    })

    it('follows standard_conforming_strings when told it is off', () => {
      const text = "select 'a\\'; insert into t values (1)'"
      const on = classifySql(text)
      assert.equal(on.statementCount, 2)
      assert.equal(on.kind, 'write')
      const off = classifySql(text, false)
      assert.equal(off.statementCount, 1)
      assert.equal(off.kind, 'read')
    })
  })
}
