import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isLoopback } from '../endpoints/websocket.js'
import { GatewayError } from '../errors.js'
import { parseConnectionString } from './connection-string.js'
import { commandOf } from './result-json.js'
import { parseSqlBody, toText } from './sql-body.js'
import { batchBegin, type HeaderGetter } from './sql-headers.js'

const headers =
  (h: Record<string, string>): HeaderGetter =>
  (name) =>
    h[name]

function failsWith(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GatewayError)
    assert.equal(err.code, code)
    assert.match(err.message, message)
    return true
  })
}

describe('Neon-Connection-String', () => {
  it('takes user, password, database and startup parameters; drops client-side libpq keys', () => {
    const t = parseConnectionString(
      'postgresql://al%40ice:p%3Ass%2Fw@ep-x-1.aws.neon.tech/my%20db?sslmode=require&channel_binding=require&application_name=app&options=endpoint%3Dep-x-1',
    )
    assert.equal(t.user, 'al@ice')
    assert.equal(t.password, 'p:ss/w')
    assert.equal(t.database, 'my db')
    assert.deepStrictEqual([...t.params], [['application_name', 'app']])
  })

  it('defaults the database to the user, as Postgres does, and allows no password', () => {
    const t = parseConnectionString('postgres://bob@host')
    assert.equal(t.database, 'bob')
    assert.equal(t.password, undefined)
  })

  it('rejects a missing header, a non-URL, another scheme, no user; never echoes the value', () => {
    failsWith(() => parseConnectionString(undefined), 'BAD_REQUEST', /missing Neon-Connection-String/)
    failsWith(() => parseConnectionString('not a url s3cret'), 'BAD_REQUEST', /^invalid header/)
    failsWith(
      () => parseConnectionString('mysql://u:s3cret@h/db'),
      'BAD_REQUEST',
      /incorrect scheme "mysql:"/,
    )
    failsWith(() => parseConnectionString('postgres://:s3cret@h/db'), 'BAD_REQUEST', /missing username/)
    try {
      parseConnectionString('not a url s3cret')
    } catch (err) {
      assert.doesNotMatch(
        JSON.stringify({ m: (err as Error).message, h: (err as GatewayError).hint }),
        /s3cret/,
      )
    }
  })
})

describe('/sql body', () => {
  it('parses a single query and a batch; params become Postgres text', () => {
    assert.deepStrictEqual(parseSqlBody('{"query":"select $1","params":["a",null,1,true]}'), {
      kind: 'single',
      query: { query: 'select $1', params: ['a', null, '1', 'true'], arrayMode: undefined },
    })
    const batch = parseSqlBody('{"queries":[{"query":"select 1"},{"query":"select 2","arrayMode":true}]}')
    assert.equal(batch.kind, 'batch')
    assert.equal(batch.kind === 'batch' && batch.queries[1]?.arrayMode, true)
  })

  it('turns JSON arrays into array literals and objects into JSON text', () => {
    assert.equal(toText([1, 'a"b', null, ['x\\y']]), '{"1","a\\"b",NULL,{"x\\\\y"}}')
    assert.equal(toText({ k: [1] }), '{"k":[1]}')
    assert.equal(toText(undefined), null)
    assert.equal(toText([[[[[[1]]]]]]), '{{{{{{"1"}}}}}}')
    let deep: unknown = [1]
    for (let i = 0; i < 10_000; i++) deep = [deep]
    failsWith(() => toText(deep), 'BAD_REQUEST', /nests deeper than 6 levels/)
  })

  it('names what is wrong', () => {
    failsWith(() => parseSqlBody('{'), 'BAD_REQUEST', /not valid JSON/)
    failsWith(() => parseSqlBody('[]'), 'BAD_REQUEST', /expected a JSON object/)
    failsWith(() => parseSqlBody('{"query":1}'), 'BAD_REQUEST', /at query: "query" must be a string/)
    failsWith(() => parseSqlBody('{"queries":[{"params":[]}]}'), 'BAD_REQUEST', /at queries\.0\.query/)
  })
})

describe('command tags and batch headers', () => {
  it('reads the command and count as Neon and node-postgres do', () => {
    assert.deepStrictEqual(commandOf('INSERT 0 5'), { command: 'INSERT', rowCount: 5 })
    assert.deepStrictEqual(commandOf('SELECT 10000'), { command: 'SELECT', rowCount: 10000 })
    assert.deepStrictEqual(commandOf('CREATE TABLE'), { command: 'CREATE', rowCount: null })
    assert.deepStrictEqual(commandOf(''), { command: '', rowCount: null })
  })

  it('builds BEGIN from the Neon-Batch-* headers; only "true" counts; bad levels are refused', () => {
    assert.equal(batchBegin(headers({})), 'BEGIN')
    assert.equal(
      batchBegin(
        headers({
          'Neon-Batch-Isolation-Level': 'RepeatableRead',
          'Neon-Batch-Read-Only': 'true',
          'Neon-Batch-Deferrable': 'TRUE',
        }),
      ),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    )
    failsWith(
      () => batchBegin(headers({ 'Neon-Batch-Isolation-Level': 'serializable' })),
      'BAD_REQUEST',
      /invalid isolation level/,
    )
  })

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.5.0.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a)
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '', '::']) assert.ok(!isLoopback(a), a)
  })
})
