/**
 * `@neondatabase/serverless` `neon()` over Skiff's `POST /sql`, checked by Neon's own differential
 * method: for a corpus of types, the driver must return exactly what node-postgres returns over TCP
 * straight to Postgres with the same (pg-types) parsers.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { neon } from '@neondatabase/serverless'
import type pg from 'pg'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { canonical, useGateway } from '../helpers/neon.js'
import { directUrl } from '../helpers/topology.js'

/** A Field as a plain object (pg's class vs JSON). */
const plain = (f: object) => ({ ...f })

/** [sql, params]: one query per type family, with and without parameters. */
const CORPUS: [string, unknown[]][] = [
  ['select 1::int2 as a, 2147483647::int4 as b, 9007199254740993::int8 as c', []],
  ['select 12.50::numeric as n, $1::numeric as p', ['-0.000001']],
  [
    "select 'NaN'::float8 as nan, 'Infinity'::float8 as inf, '-Infinity'::float4 as ninf, 1.5::float4 as f, 0.1::float8 as g",
    [],
  ],
  ['select true as t, false as f, $1::bool as p', [true]],
  ["select 'héllo wörld ✓ 🚀 \"q\" \\ back' as u, ''::text as empty, $1::text as p", ['ünï 😀']],
  [
    'select \'{"a":[1,2]}\'::json as j, \'{"b": {"c": null}}\'::jsonb as jb, $1::jsonb as p',
    [{ k: [1, 'x'] }],
  ],
  ["select '\\x0102ff'::bytea as b, $1::bytea as p", [Buffer.from([0, 1, 254, 255])]],
  [
    "select '{1,2,NULL}'::int[] as ia, '{\"a\",\"b c\",NULL}'::text[] as ta, '{{1,2},{3,4}}'::int[] as nested, '{t,f}'::bool[] as ba, $1::int[] as p",
    [[1, null, 3]],
  ],
  [
    "select '2024-01-02 03:04:05.123+00'::timestamptz as tz, '2024-01-02'::date as d, '2024-01-02 03:04:05'::timestamp as ts, $1::timestamptz as p",
    [new Date('2020-05-06T07:08:09.010Z')],
  ],
  ["select '1 year 2 mons 3 days 04:05:06'::interval as iv, '-1 day'::interval as neg", []],
  ["select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id, gen_random_uuid() is not null as ok", []],
  ['select null::int as n, null::text as t, $1::text as p', [null]],
  ['select 1 as x where false', []],
  ['select g as i, md5(g::text) as h, g % 7 = 0 as b from generate_series(1, 10000) g', []],
]

describe('neon() over HTTP /sql', () => {
  let gw: TestGateway
  let direct: pg.Client & AsyncDisposable
  let sql: ReturnType<typeof neon>
  before(async () => {
    gw = await startTestGateway()
    useGateway(gw)
    sql = neon(gw.url('scram'))
    direct = await pgClient(directUrl())
  })
  after(async () => {
    await direct[Symbol.asyncDispose]()
    await gw.stop()
  })

  it('returns, for every type in the corpus, exactly what node-postgres returns over TCP', async () => {
    for (const [text, params] of CORPUS) {
      const expected = (await direct.query(text, params)).rows
      const got = await sql.query(text, params)
      assert.deepStrictEqual(canonical(got), canonical(expected), text)
    }
  })

  it('fullResults gives the fields, command and rowCount node-postgres gives', async () => {
    for (const [text, params] of CORPUS) {
      const expected = await direct.query(text, params)
      const got = (await sql.query(text, params, { fullResults: true })) as unknown as pg.QueryResult
      assert.equal(got.command, expected.command, text)
      assert.equal(got.rowCount, expected.rowCount, text)
      assert.deepStrictEqual(got.fields.map(plain), expected.fields.map(plain), text)
    }
  })

  it('arrayMode gives the rows node-postgres gives with rowMode "array"', async () => {
    for (const [text, params] of CORPUS.slice(0, 6)) {
      const expected = (await direct.query({ text, values: params, rowMode: 'array' })).rows
      const got = await sql.query(text, params, { arrayMode: true })
      assert.deepStrictEqual(canonical(got), canonical(expected), text)
    }
  })

  it('sql.transaction over the whole corpus returns what node-postgres returns, query by query', async () => {
    const expected = []
    for (const [text, params] of CORPUS) expected.push((await direct.query(text, params)).rows)
    const got = await sql.transaction(
      CORPUS.map(([text, params]) => sql.query(text, params)),
      { isolationLevel: 'RepeatableRead', readOnly: true },
    )
    assert.equal(got.length, CORPUS.length)
    for (const [i, rows] of got.entries())
      assert.deepStrictEqual(canonical(rows), canonical(expected[i]), CORPUS[i]![0])
  })

  it('the tagged template sends its values as parameters', async () => {
    const name = "o'brien; drop table x"
    const rows = await sql`select ${name}::text as name, ${42} + 2 as n, ${[1, 2]}::int[] as a`
    assert.deepStrictEqual(rows, [{ name, n: 44, a: [1, 2] }])
  })

  it('reports the rowCount of INSERT 0 n and a null count for DDL', async () => {
    await direct.query(
      'create table if not exists http_counts (v int); grant all on http_counts to skiff_scram',
    )
    const created = (await sql.query('create temp table t_ddl (v int)', [], {
      fullResults: true,
    })) as unknown as pg.QueryResult
    assert.equal(created.command, 'CREATE')
    assert.equal(created.rowCount, null)
    const inserted = (await sql.query('insert into http_counts select generate_series(1, 3)', [], {
      fullResults: true,
    })) as unknown as pg.QueryResult
    assert.equal(inserted.command, 'INSERT')
    assert.equal(inserted.rowCount, 3)
  })

  it('a single query string cannot hold two statements (extended protocol, as Neon)', async () => {
    await assert.rejects(sql.query('select 1; select 2'), { code: '42601' })
  })
})

describe('neon() transactions and errors over HTTP /sql', () => {
  let gw: TestGateway
  let direct: pg.Client & AsyncDisposable
  let sql: ReturnType<typeof neon>
  before(async () => {
    gw = await startTestGateway({ http: 'max_request_body_bytes = 4096' })
    useGateway(gw)
    sql = neon(gw.url('scram'))
    direct = await pgClient(directUrl())
    await direct.query(`drop table if exists http_tx; create table http_tx (id int primary key, note text not null);
      grant all on http_tx to skiff_scram`)
  })
  after(async () => {
    await direct[Symbol.asyncDispose]()
    await gw.stop()
  })

  it('sql.transaction runs its queries in one transaction with the isolation options', async () => {
    const [level, readOnly, deferrable] = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`, sql`show transaction_deferrable`],
      { isolationLevel: 'Serializable', readOnly: true, deferrable: true },
    )
    assert.deepStrictEqual(
      [level, readOnly, deferrable],
      [
        [{ transaction_isolation: 'serializable' }],
        [{ transaction_read_only: 'on' }],
        [{ transaction_deferrable: 'on' }],
      ],
    )
    const [a, b] = await sql.transaction([sql`select txid_current() as x`, sql`select txid_current() as x`])
    assert.deepStrictEqual(a, b, 'both queries saw the same transaction id')
  })

  it('a failing transaction is rolled back as a whole and reports the error', async () => {
    await assert.rejects(
      sql.transaction([
        sql`insert into http_tx values (1, 'kept?')`,
        sql`insert into http_tx values (2, null)`,
      ]),
      (err: Record<string, unknown>) => {
        assert.equal(err.code, '23502')
        assert.equal(err.table, 'http_tx')
        assert.equal(err.column, 'note')
        return true
      },
    )
    const { rows } = await direct.query('select count(*)::int as n from http_tx')
    assert.equal(rows[0].n, 0, 'the first insert was rolled back')
    const [[row]] = (await sql.transaction([sql`select 1 as ok`])) as [[{ ok: number }]]
    assert.deepStrictEqual(row, { ok: 1 }, 'the gateway serves the next request')
  })

  it('Postgres errors keep code, detail, position and the other fields node-postgres gets', async () => {
    await direct.query(`insert into http_tx values (10, 'x') on conflict do nothing`)
    const cases = ['select * from no_such_table', 'select 1/0', `insert into http_tx values (10, 'dup')`]
    for (const text of cases) {
      const expected = await direct.query(text).then(
        () => assert.fail('should fail'),
        (e: Record<string, unknown>) => e,
      )
      const got = await sql.query(text).then(
        () => assert.fail('should fail'),
        (e: Record<string, unknown>) => e,
      )
      for (const key of [
        'message',
        'code',
        'severity',
        'detail',
        'hint',
        'position',
        'schema',
        'table',
        'constraint',
        'routine',
      ])
        assert.deepStrictEqual(got[key], expected[key], `${text}: ${key}`)
    }
  })

  it('a wrong password gets 28P01, an unknown database 3D000', async () => {
    const wrong = gw.url('scram').replace('skiff_scram_pw', 'nope')
    await assert.rejects(neon(wrong)`select 1`, { code: '28P01' })
    await assert.rejects(neon(gw.url('scram', 'no_such_db'))`select 1`, { code: '3D000' })
    await assert.rejects(neon(gw.url('md5').replace('skiff_md5_pw', 'x'))`select 1`, { code: '28P01' })
    assert.deepStrictEqual(await neon(gw.url('md5'))`select current_user as u`, [{ u: 'skiff_md5' }])
  })

  it('a body over the limit gets 413', async () => {
    await assert.rejects(sql.query('select $1::text as big', ['x'.repeat(5000)]), /HTTP status 413/)
    assert.deepStrictEqual(await sql`select 'small' as ok`, [{ ok: 'small' }])
  })
})
