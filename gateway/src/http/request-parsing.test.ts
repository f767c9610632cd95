import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isLoopback } from '../endpoints/websocket.js'
import { GatewayError } from '../errors.js'
import { parseConnectionString } from './connection-string.js'
import { commandOf } from './result-json.js'
import { MAX_PARAM_DEPTH, MAX_PARAMS, parseSqlBody, startsWithCopy, toText } from './sql-body.js'
import { batchBegin, type HeaderGetter, refuseRepeatedHeaders } from './sql-headers.js'

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

describe('Neon-Connection-String: bytes a StartupMessage cannot or should not carry', () => {
  const base = 'postgres://app:pw@h/appdb'
  /** Fails unless `url` is refused with a message matching `field` that does not echo `s3cret`. */
  function refused(url: string, field: RegExp): void {
    failsWith(() => parseConnectionString(url), 'BAD_REQUEST', field)
    try {
      parseConnectionString(url)
    } catch (err) {
      const e = err as GatewayError
      assert.doesNotMatch(`${e.message} ${e.hint ?? ''} ${e.detail ?? ''}`, /s3cret/)
    }
  }

  it('refuses a NUL in every field: the smuggled `user` that logged in as someone else', () => {
    refused('postgres://app@x/appdb%00user%00md5user', /database name .* NUL/)
    refused('postgres://app%00database%00s3cret@x/appdb', /user name .* NUL/)
    refused('postgres://app:s3cret%00x@x/appdb', /password .* NUL/)
    refused(
      'postgres://app:pw@x/appdb?application_name=s3cret%00user%00x',
      /value of "application_name" .* NUL/,
    )
    refused('postgres://app:pw@x/appdb?app%00s3cret=1', /name of a query parameter .* NUL/)
  })

  it('refuses control characters in names; passwords and values may hold CR/LF, as in Postgres', () => {
    refused('postgres://app%0D%0As3cret@x/appdb', /user name .* control character/)
    refused('postgres://app@x/app%0As3cret', /database name .* control character/)
    refused('postgres://app@x/app%01db', /database name .* control character/)
    refused('postgres://app@x/app%7Fdb', /database name .* control character/)
    refused('postgres://app:pw@x/appdb?a%0D%0Ab=1', /name of a query parameter .* control character/)
    const t = parseConnectionString(`${base}?application_name=a%0D%0Ab`.replace(':pw@', ':p%0D%0Aw@'))
    assert.equal(t.password, 'p\r\nw')
    assert.equal(t.params.get('application_name'), 'a\r\nb')
  })

  it('refuses a parameter set twice, and user or database as a query parameter', () => {
    refused(`${base}?application_name=a&application_name=s3cret`, /sets "application_name" more than once/)
    refused(`${base}?user=md5user`, /sets "user" as a query parameter/)
    refused(`${base}?database=other`, /sets "database" as a query parameter/)
    // Client-side keys are dropped, so repeating one changes nothing.
    assert.equal(parseConnectionString(`${base}?sslmode=require&sslmode=disable`).params.size, 0)
  })
})

describe('repeated headers', () => {
  it('refuses a repeated Authorization, Neon-* or Skiff-* header in any case; others may repeat', () => {
    for (const name of ['Neon-Connection-String', 'authorization', 'Neon-Array-Mode', 'Skiff-Shard']) {
      const raw = [name, 'a', 'Accept', '*/*', name.toUpperCase(), 'b']
      failsWith(
        () => refuseRepeatedHeaders(raw),
        'BAD_REQUEST',
        new RegExp(`header ${name.toUpperCase()} was sent more than once`),
      )
    }
    refuseRepeatedHeaders(['Accept', 'a', 'accept', 'b', 'Neon-Array-Mode', 'true', 'Skiff-Role', 'replica'])
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
    failsWith(
      () => toText(deep, 'params[2]'),
      'BAD_REQUEST',
      /^params\[2\] is an array that nests deeper than 6 levels/,
    )
  })

  it('refuses parameters nested past the limit, naming them, without recursing', () => {
    const nest = (levels: number, open: string, close: string) =>
      `${open.repeat(levels)}1${close.repeat(levels)}`
    const deepObject = nest(10_000, '{"a":', '}')
    failsWith(
      () => parseSqlBody(`{"query":"select $1","params":["x",${deepObject}]}`),
      'BAD_REQUEST',
      new RegExp(`^params\\[1\\] nests arrays or objects deeper than ${MAX_PARAM_DEPTH} levels`),
    )
    failsWith(
      () =>
        parseSqlBody(
          `{"queries":[{"query":"select 1"},{"query":"select $1","params":[${nest(100_000, '[', ']')}]}]}`,
        ),
      'BAD_REQUEST',
      /^queries\[1\]\.params\[0\] nests arrays or objects deeper than/,
    )
    // An object inside an array inside an object counts every level.
    const mixed = `${'{"a":['.repeat(MAX_PARAM_DEPTH / 2)}1${']}'.repeat(MAX_PARAM_DEPTH / 2)}`
    assert.equal(parseSqlBody(`{"query":"x","params":[${mixed}]}`).kind, 'single')
    failsWith(() => parseSqlBody(`{"query":"x","params":[[${mixed}]]}`), 'BAD_REQUEST', /params\[0\] nests/)
  })

  it('refuses more parameters than Bind can count, and numbers JSON.parse changed', () => {
    const params = JSON.stringify(Array(MAX_PARAMS + 1).fill('1'))
    failsWith(
      () => parseSqlBody(`{"query":"select 1","params":${params}}`),
      'BAD_REQUEST',
      /^the query has 65536 parameters; the protocol carries at most 65535/,
    )
    const ok = parseSqlBody(`{"query":"select 1","params":${JSON.stringify(Array(MAX_PARAMS).fill('1'))}}`)
    assert.equal(ok.kind === 'single' && ok.query.params.length, MAX_PARAMS)
    for (const n of ['12345678901234567890', '1e999', '-9007199254740993'])
      failsWith(
        () => parseSqlBody(`{"query":"x","params":[{"n":[${n}]}]}`),
        'BAD_REQUEST',
        /params\[0\] holds a number/,
      )
    assert.deepStrictEqual(parseSqlBody('{"query":"x","params":[9007199254740991, 0.1, -2.5e-7]}'), {
      kind: 'single',
      query: { query: 'x', params: ['9007199254740991', '0.1', '-2.5e-7'], arrayMode: undefined },
    })
  })

  it('keeps "__proto__" keys as data: they neither change the body shape nor vanish from a parameter', () => {
    const body = parseSqlBody(
      '{"__proto__":{"queries":[]},"query":"select $1","params":[{"__proto__":{"x":1}}]}',
    )
    assert.deepStrictEqual(body, {
      kind: 'single',
      query: { query: 'select $1', params: ['{"__proto__":{"x":1}}'], arrayMode: undefined },
    })
  })

  it('refuses a NUL in the SQL text and COPY statements, naming the query', () => {
    failsWith(
      () => parseSqlBody('{"query":"select 1\\u0000x"}'),
      'BAD_REQUEST',
      /^the query contains a NUL byte/,
    )
    failsWith(
      () => parseSqlBody('{"query":"copy pg_class from stdin"}'),
      'FEATURE_NOT_SUPPORTED',
      /^COPY is not available over HTTP$/,
    )
    try {
      parseSqlBody('{"queries":[{"query":"select 1"},{"query":"/* a */ COPY (select 1) TO STDOUT"}]}')
      assert.fail('COPY in a batch was accepted')
    } catch (err) {
      assert.equal((err as GatewayError).detail, 'queries[1] is a COPY statement')
    }
    for (const sql of [
      'copy t from stdin',
      ' \n\tCOPY(select 1) to stdout',
      '-- c\ncopy t to stdout',
      '/* /* */ */copy t from stdin',
      'copy',
    ])
      assert.ok(startsWithCopy(sql), sql)
    for (const sql of [
      'copyx',
      'copy_t',
      'copy$',
      'select 1 -- copy',
      '/* copy */ select',
      '"copy"',
      'copyé',
    ])
      assert.ok(!startsWithCopy(sql), sql)
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
