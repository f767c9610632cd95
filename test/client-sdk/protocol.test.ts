/**
 * Unit tests of the SDK's pure parts, at their split points: Postgres message framing across any
 * chunking, SCRAM-SHA-256 against RFC 7677's example, text parsers as node-postgres's, array literals,
 * parameter encoding, command tags, error fields and bookmarks.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import pgTypes from 'pg-types'
import { laterBookmark, lsnValue } from '../../client-sdk/src/bookmark.js'
import { httpQuery, sqlEndpoint } from '../../client-sdk/src/http.js'
import { encodeParam, fromTemplate } from '../../client-sdk/src/params.js'
import { responseMeta } from '../../client-sdk/src/result.js'
import { mergeRouting, routingCommands, routingHeaders } from '../../client-sdk/src/routing.js'
import { beginStatement } from '../../client-sdk/src/transaction.js'
import { parseDate, typeParsers } from '../../client-sdk/src/types.js'
import {
  MessageFramer,
  parseCommandComplete,
  parseDataRow,
  parseErrorFields,
} from '../../client-sdk/src/wire/backend.js'
import { extendedQuery, queryMessage } from '../../client-sdk/src/wire/frontend.js'
import { md5Hex, md5Password } from '../../client-sdk/src/wire/md5.js'
import { ScramClient } from '../../client-sdk/src/wire/scram.js'

/** A backend message: type byte, int32 length, body. */
function message(type: string, body: number[]): Uint8Array {
  const out = new Uint8Array(5 + body.length)
  out[0] = type.charCodeAt(0)
  new DataView(out.buffer).setInt32(1, 4 + body.length)
  out.set(body, 5)
  return out
}
const cstr = (s: string) => [...new TextEncoder().encode(s), 0]

describe('wire', () => {
  test('the framer yields the same messages however the stream is cut', () => {
    const stream = new Uint8Array([
      ...message('C', cstr('INSERT 0 3')),
      ...message('D', [0, 2, 0, 0, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff]),
      ...message('Z', [0x49]),
    ])
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const step of [1, 2, 7, stream.length]) {
        const f = new MessageFramer()
        const got = []
        for (let i = 0; i < stream.length; i += step) {
          const end = Math.min(i + step, stream.length)
          got.push(...f.push(stream.slice(i, Math.min(end, i < cut && cut < end ? cut : end))))
          if (i < cut && cut < end) got.push(...f.push(stream.slice(cut, end)))
        }
        assert.deepEqual(
          got.map((m) => m.type),
          ['C', 'D', 'Z'],
          `cut ${cut}, step ${step}`,
        )
        assert.deepEqual(parseCommandComplete(got[0]!.body), { command: 'INSERT', rowCount: 3 })
        assert.deepEqual(parseDataRow(got[1]!.body), ['a', null])
      }
    }
  })

  test('command tags as Neon reports them', () => {
    const tag = (t: string) => parseCommandComplete(new Uint8Array(cstr(t)))
    assert.deepEqual(tag('SELECT 2'), { command: 'SELECT', rowCount: 2 })
    assert.deepEqual(tag('CREATE TABLE'), { command: 'CREATE', rowCount: null })
    assert.deepEqual(tag('UPDATE 0'), { command: 'UPDATE', rowCount: 0 })
  })

  test('ErrorResponse fields under node-postgres names', () => {
    const body = new Uint8Array(
      [...'SERROR\0C42P01\0Mrelation "x" does not exist\0P15\0nfk\0'].map((c) => c.charCodeAt(0)).concat([0]),
    )
    assert.deepEqual(parseErrorFields(body), {
      severity: 'ERROR',
      code: '42P01',
      message: 'relation "x" does not exist',
      position: '15',
      constraint: 'fk',
    })
  })

  test('frontend messages: Query and one-round-trip extended query with text params and NULL', () => {
    assert.deepEqual([...queryMessage('BEGIN')], [0x51, 0, 0, 0, 10, ...cstr('BEGIN')])
    const bytes = extendedQuery('select $1, $2', ['7', null])
    const types = new MessageFramer().push(bytes).map((m) => m.type)
    assert.deepEqual(types, ['P', 'B', 'D', 'E', 'S'])
  })

  test('md5 as node:crypto computes it, at every padding boundary; the md5 password message', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255)
      assert.equal(md5Hex(bytes), createHash('md5').update(bytes).digest('hex'), `${n} bytes`)
    }
    const salt = new Uint8Array([1, 2, 3, 4])
    const inner = createHash('md5').update('secretalice').digest('hex')
    const outer = createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')
    assert.equal(md5Password('alice', 'secret', salt), `md5${outer}`)
  })

  test('SCRAM-SHA-256: RFC 7677 example', async () => {
    const c = new ScramClient('pencil', 'rOprNGfwEbeRWgbNEkqO', 'user')
    assert.equal(c.clientFirst(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    const final = await c.clientFinal(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    )
    assert.equal(
      final,
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')
    assert.throws(() => c.verifyServerFinal('v=AAAA'))
    await assert.rejects(new ScramClient('x', 'abc').clientFinal('r=zzz,s=AA==,i=1'), /server-first/)
  })
})

describe('values', () => {
  const parse = typeParsers({})
  test('text parsers agree with node-postgres (pg-types)', () => {
    const cases: [number, string][] = [
      [16, 't'],
      [16, 'f'],
      [20, '9007199254740993'],
      [21, '-3'],
      [23, '42'],
      [26, '16385'],
      [700, 'NaN'],
      [701, '-Infinity'],
      [701, '1.5'],
      [114, '{"a":[1,2]}'],
      [3802, '[1, "x", null]'],
      [1700, '12.50'],
      [1007, '{1,2,NULL}'],
      [1009, '{"a b","c\\"d",NULL,plain}'],
      [1000, '{t,f}'],
      [1016, '{1,-2}'],
      [3807, '{"{\\"a\\": 1}"}'],
      [1184, '2024-01-02 03:04:05.123+00'],
      [1184, '2024-01-02 03:04:05+05:30'],
      [1184, '1999-12-31 23:59:59.999999-08'],
      [1114, '2024-01-02 03:04:05.5'],
      [1082, '2024-02-29'],
      [1185, '{"2024-01-02 03:04:05+00","2024-01-03 00:00:00+00"}'],
      [25, 'just text'],
      [2950, '8e1f1e2b-1111-4c4c-9a9a-222222222222'],
    ]
    for (const [oid, text] of cases)
      assert.deepEqual(parse(oid)(text), pgTypes.getTypeParser(oid, 'text')(text), `oid ${oid}: ${text}`)
    assert.deepEqual([...(parse(17)('\\x0102ff') as Uint8Array)], [1, 2, 255])
    assert.deepEqual(parse(1007)('{{1,2},{3,NULL}}'), [
      [1, 2],
      [3, null],
    ])
  })

  test('bigint opt-in and per-type overrides', () => {
    const p = typeParsers({ bigint: true, types: { 1700: Number, 25: (s) => s.toUpperCase() } })
    assert.equal(p(20)('9007199254740993'), 9007199254740993n)
    assert.deepEqual(p(1016)('{1,NULL}'), [1n, null])
    assert.equal(p(1700)('12.50'), 12.5)
    assert.equal(p(25)('abc'), 'ABC')
  })

  test('timestamps: BC years and infinity', () => {
    assert.equal((parseDate('0044-03-15 12:00:00+00 BC') as Date).getUTCFullYear(), -43)
    assert.equal(parseDate('infinity'), pgTypes.getTypeParser(1184, 'text')('infinity'))
  })

  test('parameters as node-postgres prepares them; templates bind every value', () => {
    assert.equal(encodeParam(null), null)
    assert.equal(encodeParam(undefined), null)
    assert.equal(encodeParam(10n), '10')
    assert.equal(encodeParam(true), 'true')
    assert.equal(encodeParam(new Date('2024-01-02T03:04:05.123Z')), '2024-01-02T03:04:05.123Z')
    assert.equal(encodeParam(new Uint8Array([1, 2, 255])), '\\x0102ff')
    assert.equal(encodeParam([1, 'two', null, 'a"b\\c']), '{"1","two",NULL,"a\\"b\\\\c"}')
    assert.equal(encodeParam([[1], [2]]), '{{"1"},{"2"}}')
    assert.equal(encodeParam({ k: 1 }), '{"k":1}')
    assert.equal(encodeParam({ toPostgres: () => 'custom' }), 'custom')
    const strings = Object.assign(['select ', ', ', ''], { raw: [] }) as unknown as TemplateStringsArray
    assert.deepEqual(fromTemplate(strings, ["'; drop", new Uint8Array([1])]), {
      text: 'select $1, $2::bytea',
      params: ["'; drop", new Uint8Array([1])],
    })
  })
})

describe('routing and bookmarks', () => {
  test('headers and commands; the later choice wins', () => {
    const r = mergeRouting({ role: 'replica', shard: 1 }, { shardingKey: "4'2" })
    assert.deepEqual(r, { role: 'replica', shardingKey: "4'2" })
    assert.deepEqual(routingHeaders(r), { 'Skiff-Role': 'replica', 'Skiff-Sharding-Key': "4'2" })
    assert.deepEqual(routingCommands(r), [`SET SERVER ROLE TO 'replica'`, `SET SHARDING KEY TO '4''2'`])
    assert.equal(
      beginStatement({ isolationLevel: 'Serializable', readOnly: true, deferrable: true }),
      'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE',
    )
  })

  test('bookmarks compare as LSNs, not as text', () => {
    assert.equal(lsnValue('1/0'), 1n << 32n)
    assert.equal(lsnValue('nope'), undefined)
    assert.equal(laterBookmark('0/FFFFFFFF', '1/0'), '1/0')
    assert.equal(laterBookmark('A/10', '9/FFFFFFFF'), 'A/10')
    assert.equal(laterBookmark(undefined, '0/1'), '0/1')
    assert.equal(laterBookmark('0/1', 'garbage'), '0/1')
  })
})

describe('fetch', () => {
  test('the fetch is called on globalThis (a detached fetch throws "Illegal invocation" in Workers)', async () => {
    let self: unknown
    const strict = function (this: unknown) {
      self = this
      return Promise.resolve(new Response('{"fields":[],"rows":[],"command":"SELECT","rowCount":0}'))
    } as unknown as typeof fetch
    const answer = await httpQuery({ url: 'https://gw.example/', fetch: strict }, { query: 'select 1' }, {})
    assert.equal(self, globalThis)
    assert.equal(answer.status, 200)
    assert.equal(sqlEndpoint('https://gw.example/base/'), 'https://gw.example/base/sql')
    assert.equal(sqlEndpoint('https://gw.example/sql'), 'https://gw.example/sql')
  })
})

describe('response metadata', () => {
  test('the Skiff-* headers of the contract land on the result; absent ones stay undefined', () => {
    const meta = responseMeta(
      new Headers({
        'Skiff-Lsn': '0/16B3748',
        'Skiff-Tables': 'public.t,app.u',
        'Skiff-Cacheable': 'true',
        'Skiff-Read-Only': 'true',
        'Skiff-Table-Versions': 'public.t=42,app.u=7',
      }),
    )
    assert.deepEqual(meta, {
      lsn: '0/16B3748',
      tables: ['public.t', 'app.u'],
      cacheable: true,
      readOnly: true,
      versions: { 'public.t': 42, 'app.u': 7 },
    })
    assert.deepEqual(responseMeta(new Headers({ 'Skiff-Writes': 'public.t', 'Skiff-Cacheable': 'false' })), {
      writes: ['public.t'],
      cacheable: false,
    })
    assert.deepEqual(responseMeta(new Headers()), {})
  })
})
