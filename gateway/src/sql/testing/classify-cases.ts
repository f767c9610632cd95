import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StatementKind } from '../statement-info.js'
import type { Classifier } from './classifier.js'

/**
 * The classifier's cases by kind: transaction control, reads and what makes them writes, EXPLAIN and
 * COPY, everything else, routine bodies. Declared for the classifier given, so the same cases check
 * `classifyStatement` and the shape cache (shape-cache.test.ts).
 */
export function classifyCases({ classifySql }: Classifier): void {
  /** Asserts the kind of each text. */
  function expectKind(kind: StatementKind, texts: string[]): void {
    for (const text of texts) assert.equal(classifySql(text).kind, kind, text)
  }

  describe('classify: transaction control', () => {
    it('reads BEGIN and START TRANSACTION with their access mode', () => {
      const cases: Array<[string, boolean | undefined]> = [
        ['begin', undefined],
        ['BEGIN WORK', undefined],
        ['begin transaction isolation level read committed', undefined],
        ['start transaction', undefined],
        ['begin read only', true],
        ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE', false],
        ['begin isolation level repeatable read, read only, deferrable', true],
        ['begin isolation level read uncommitted read only', true],
        ['begin read only, read write', false],
        // A hot standby refuses serializable transactions: never read only to the router.
        ['begin isolation level serializable', false],
        ['begin isolation level serializable read only deferrable', false],
        ['begin read only isolation level serializable', false],
      ]
      for (const [text, readOnly] of cases) {
        const info = classifySql(text)
        assert.equal(info.kind, 'begin', text)
        assert.equal(info.readOnly, readOnly, text)
        assert.equal(info.transactionControl, true, text)
      }
    })

    it('reads COMMIT, END, ROLLBACK and ABORT, with AND CHAIN', () => {
      expectKind('commit', ['commit', 'COMMIT WORK', 'end', 'END TRANSACTION', 'commit and no chain'])
      expectKind('rollback', ['rollback', 'abort', 'ROLLBACK WORK', 'abort transaction'])
      assert.equal(classifySql('commit and chain').chain, true)
      assert.equal(classifySql('ROLLBACK TRANSACTION AND CHAIN').chain, true)
      assert.equal(classifySql('commit and no chain').chain, false)
      assert.equal(classifySql('commit').chain, false)
    })

    it('tells savepoint statements apart: they end no transaction', () => {
      const texts = [
        'savepoint a',
        'release a',
        'RELEASE SAVEPOINT a',
        'rollback to a',
        'ROLLBACK WORK TO SAVEPOINT a',
      ]
      expectKind('savepoint', [...texts, 'rollback transaction to savepoint a'])
      for (const text of texts) assert.equal(classifySql(text).transactionControl, false, text)
    })

    it('treats two-phase commit: PREPARE TRANSACTION ends the block, COMMIT/ROLLBACK PREPARED write', () => {
      expectKind('commit', ["prepare transaction 'gid'", "PREPARE TRANSACTION E'g\\'id'"])
      expectKind('write', ["commit prepared 'gid'", "ROLLBACK PREPARED 'gid'"])
      expectKind('other', [
        'prepare p as select 1',
        'prepare transaction as select 1',
        'prepare p(int) as select $1',
      ])
      assert.equal(classifySql("commit prepared 'gid'").transactionControl, false)
    })
  })

  describe('classify: reads and what makes them writes', () => {
    it('reads SELECT, VALUES, TABLE, WITH and parenthesized queries', () => {
      expectKind('read', [
        'select 1',
        'SELECT abalance FROM pgbench_accounts WHERE aid = 123;',
        'values (1), (2)',
      ])
      expectKind('read', [
        'table t',
        '(select 1) union (select 2)',
        '((select 1))',
        'select * from t where a in (select 1)',
      ])
      assert.equal(classifySql('((select 1))').firstKeyword, 'select')
    })

    it('makes row locks writes, at any depth', () => {
      expectKind('write', ['select * from t for update', 'select 1 FOR NO KEY UPDATE', 'select 1 for share'])
      expectKind('write', [
        'select 1 for key share skip locked',
        'select * from (select * from t for update) s',
      ])
      expectKind('read', [
        'select substring(s from 1 for 2) from t',
        'select 1 for',
        'select for_update from t',
      ])
    })

    it('makes SELECT … INTO a write, but not INTO deeper than the statement', () => {
      expectKind('write', ['select * into new_t from t', '(select 1 into t)', 'select 1 INTO TEMP t'])
      expectKind('read', ['select array(select 1) as into_x', 'select x from (select 1) into_sub'])
    })

    it('reads WITH unless a query in it, or its main statement, modifies data', () => {
      expectKind('read', [
        'with a as (select 1) select * from a',
        'with recursive r(n) as (select 1) select * from r',
      ])
      expectKind('write', [
        'with a as (insert into t values (1) returning *) select * from a',
        'with a as materialized (update t set x = 1 returning *) select 1',
        'WITH a AS (DELETE FROM t RETURNING *), b AS (select 1) SELECT 1',
        'with a as (merge into t using s on true when matched then delete) select 1',
        'with a as (select 1) insert into t select * from a',
        'with a as (select 1), b(x) as (select 2) update t set x = 1',
        'with a as (select 1) select * from a for update',
        'with a as (with b as (delete from t returning 1) select 1) select 1',
      ])
    })

    it('makes calls of functions that need the primary writes, not columns of that name', () => {
      expectKind('write', [
        "select nextval('s')",
        "select pg_catalog.setval('s', 1)",
        "values (nextval('s'))",
      ])
      expectKind('write', [
        'select pg_advisory_xact_lock(1)',
        "select PG_NOTIFY('c', 'x')",
        'select txid_current ()',
      ])
      expectKind('read', ['select nextval from t', "select currval('s')", 'select pg_advisory_unlock(1)'])
      expectKind('write', [
        `select "nextval"('s')`,
        `select pg_catalog."setval"('s', 1)`,
        `values ("lo_unlink"(1))`,
      ])
      expectKind('read', [`select "NEXTVAL"('s')`, `select "nextval" from t`, `select "next""val"('s')`])
    })

    it('leans to the primary when a DML word follows a parenthesis, as documented', () => {
      expectKind('write', ['select (update) from t'])
    })
  })

  describe('classify: EXPLAIN and COPY', () => {
    it('reads EXPLAIN unless ANALYZE runs something that is not a read', () => {
      expectKind('read', ['explain select 1', 'explain insert into t values (1)', 'explain analyze select 1'])
      expectKind('read', [
        'explain (analyze false) delete from t',
        'EXPLAIN (ANALYZE off, FORMAT json) DELETE FROM t',
      ])
      expectKind('read', ['explain (analyze 0) update t set a = 1', 'explain (costs off) update t set a = 1'])
      expectKind('read', [
        'explain (select 1)',
        'explain analyze (select 1)',
        'explain verbose delete from t',
      ])
      expectKind('write', ['explain analyze insert into t values (1)', 'explain (analyze) delete from t'])
      expectKind('write', [
        'explain (format json, analyze) update t set a = 1',
        'explain (analyze true) delete from t',
      ])
      expectKind('write', ['EXPLAIN ANALYZE VERBOSE select * from t for update', 'explain analyze execute p'])
      expectKind('write', [
        'explain analyse create table t as select 1',
        "explain analyze select nextval('s')",
      ])
      assert.equal(classifySql('explain analyze insert into t values (1)').firstKeyword, 'explain')
    })

    it('reads COPY … TO and COPY (query) TO; COPY … FROM writes', () => {
      expectKind('write', [
        'copy t from stdin',
        'COPY t (a, b) FROM STDIN WITH (FORMAT csv)',
        "copy t from program 'x'",
      ])
      expectKind('write', ['copy (insert into t values (1) returning *) to stdout', 'copy s.t(a) from stdin'])
      expectKind('read', ['copy t to stdout', 'copy t (a) to stdout', 'copy (select * from t) to stdout'])
    })
  })

  describe('classify: everything else', () => {
    it('makes DDL, DML and maintenance writes', () => {
      const words = [
        'insert into t values (1)',
        'update t set a = 1',
        'delete from t',
        'merge into t using s on true',
      ]
      const more = [
        'create table t (a int)',
        'alter table t add b int',
        'drop table t',
        'truncate t',
        'grant select on t to u',
      ]
      const rest = [
        'revoke all on t from u',
        "comment on table t is 'x'",
        "security label on table t is 'x'",
        'call p()',
      ]
      const last = [
        'do $$ begin perform 1; end $$',
        'lock t',
        'vacuum t',
        'analyze t',
        'cluster t',
        'reindex table t',
      ]
      const tail = [
        'refresh materialized view v',
        'import foreign schema s from server f into p',
        'checkpoint',
        'notify c',
        'listen c',
      ]
      expectKind('write', [...words, ...more, ...rest, ...last, ...tail, 'reassign owned by a to b'])
    })

    it('makes session-bound and unknown statements other', () => {
      expectKind('other', ['discard all', 'unlisten *', 'execute p(1)', 'deallocate p', 'move c', 'close c'])
      expectKind('other', [
        'declare c cursor for select 1',
        'fetch 10 from c',
        "load 'x'",
        'frobnicate',
        '"select" 1',
        '1',
      ])
      assert.equal(classifySql('FROBNICATE now').firstKeyword, 'frobnicate')
      assert.equal(classifySql('"select" 1').firstKeyword, '')
    })

    it('makes SET and RESET set, SHOW show', () => {
      expectKind('set', [
        'set x = 1',
        'SET LOCAL x TO 1',
        'reset all',
        'set transaction read only',
        'set constraints all deferred',
      ])
      expectKind('show', ['show x', 'SHOW ALL'])
      assert.equal(classifySql('set transaction read only').readOnly, true)
      assert.equal(classifySql('set local transaction read write').readOnly, false)
      assert.equal(classifySql('set session characteristics as transaction read only').readOnly, undefined)
    })
  })

  describe('classify: routine bodies', () => {
    it('keeps a BEGIN ATOMIC … END body in its CREATE statement', () => {
      const fn = 'create function f() returns int language sql begin atomic select 1; select 2; end'
      assert.deepEqual(classifySql(`${fn}; commit`).kinds, ['write', 'commit'])
      const proc =
        'CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC select case when true then 1 end; delete from t; END'
      assert.deepEqual(classifySql(`${proc}; select 1`).kinds, ['write', 'read'])
    })

    it('still splits other statements that mention BEGIN or END', () => {
      assert.deepEqual(classifySql('create table begin_t (a int); end').kinds, ['write', 'commit'])
      assert.deepEqual(classifySql('select case when true then 1 end; begin').kinds, ['read', 'begin'])
      assert.deepEqual(classifySql('do $$ begin perform 1; end $$; commit').kinds, ['write', 'commit'])
    })
  })
}
