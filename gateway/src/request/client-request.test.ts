import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FrontendCode } from '../protocol/codes.js'
import { serializeParse } from '../protocol/extended.js'
import { serializeQuery, serializeSync } from '../protocol/frontend.js'
import { ClientRequest } from './client-request.js'

/** A Parse of `sql` with no parameter types (the body is query string + Int16 0). */
const parse = (name: string, sql: string) =>
  serializeParse(name, Buffer.concat([Buffer.from(`${sql}\0`), Buffer.alloc(2)]))

function requestOf(message: Buffer): ClientRequest {
  const r = new ClientRequest()
  r.set(message[0]!, message, 0, message.length)
  return r
}

describe('client request', () => {
  test('the first keyword of a Query, lower-case, after blanks and comments', () => {
    const cases: Array<[string, string]> = [
      ['SELECT 1', 'select'],
      ['  \n\tBegin; select 1', 'begin'],
      ['-- a comment\nupdate t set a = 1', 'update'],
      ['/* outer /* nested */ still comment */ insert into t values (1)', 'insert'],
      ['/* unterminated', ''],
      ['', ''],
    ]
    for (const [sql, keyword] of cases)
      assert.equal(requestOf(serializeQuery(sql)).statement.firstKeyword, keyword, sql)
  })

  test('the first keyword of a Parse is read from its query string, not its name', () => {
    assert.equal(requestOf(parse('select_stmt', 'DELETE FROM t')).statement.firstKeyword, 'delete')
    assert.equal(requestOf(parse('', 'with x as (select 1) select * from x')).statement.firstKeyword, 'with')
  })

  test('the statement is classified for the router: kind, transaction control, access mode', () => {
    const kinds: Array<[string, string, boolean | undefined]> = [
      ['select abalance from pgbench_accounts where aid = 1', 'read', undefined],
      ['BEGIN READ ONLY', 'begin', true],
      ["update t set a = 'x;y' where b = $$;$$", 'write', undefined],
      ['select 1 for update', 'write', undefined],
      ['commit', 'commit', undefined],
    ]
    for (const [sql, kind, readOnly] of kinds) {
      const info = requestOf(serializeQuery(sql)).statement
      assert.equal(info.kind, kind, sql)
      assert.equal(info.readOnly, readOnly, sql)
    }
    assert.equal(
      requestOf(serializeQuery("select 1; insert into t values ('a;b')")).statement.statementCount,
      2,
    )
    assert.deepEqual(requestOf(serializeQuery('select * from app.t join u on true')).tables(), ['app.t', 'u'])
  })

  test('messages without statement text have no keyword', () => {
    const r = requestOf(serializeSync())
    assert.equal(r.code, FrontendCode.Sync)
    assert.equal(r.statement.firstKeyword, '')
  })

  test('set() points at the next request and forgets the old keyword', () => {
    const r = requestOf(serializeQuery('select 1'))
    assert.equal(r.statement.firstKeyword, 'select')
    const next = serializeQuery('commit')
    r.set(next[0]!, next, 0, next.length)
    assert.equal(r.statement.firstKeyword, 'commit')
  })
})
