import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { KeyLocatorCache } from './key-locator-cache.js'
import { type AstParse, type KeyLocator, locateShardingKey, type ShardingKeyColumn } from './sharding-key.js'
import { type BindParams, type KeyValueError, readShardingKeys } from './sharding-key-read.js'
import { StatementShape } from './statement-shape.js'

const USERS: ShardingKeyColumn = { table: 'users', column: 'id' }

function locate(sql: string, key = USERS): KeyLocator {
  const buf = Buffer.from(sql)
  return locateShardingKey(buf, 0, buf.length, new StatementShape().read(buf, 0, buf.length), key)
}

/** The keys of `sql`, located on `sql` itself, or on `learnFrom` (another text of the same shape). */
function keys(sql: string, params?: BindParams, learnFrom = sql): bigint[] | KeyValueError | KeyLocator {
  const locator = locate(learnFrom)
  if (locator.kind !== 'keys') return locator
  const buf = Buffer.from(sql)
  return readShardingKeys(locator, buf, new StatementShape().read(buf, 0, buf.length), params)
}

const lit = (literal: number, negate = false) => ({ literal, negate })
const found = (...refs: unknown[]) => ({ kind: 'keys', refs })
const NONE = { kind: 'none' }

describe('locateShardingKey: WHERE', () => {
  test('key = value, either way round, bare, qualified or through an alias', () => {
    assert.deepEqual(locate('select * from users where id = 5'), found(lit(0)))
    assert.deepEqual(locate('SELECT * FROM Users WHERE 5 = ID'), found(lit(0)))
    assert.deepEqual(locate('select * from users where users.id = 5'), found(lit(0)))
    assert.deepEqual(locate('select * from public.users where users.id = 5'), found(lit(0)))
    assert.deepEqual(locate('select * from users u where u.id = 5'), found(lit(0)))
    assert.deepEqual(locate('delete from users as u where u.id = $2'), found({ param: 2 }))
    assert.deepEqual(locate('update users set name = $1 where id = $2'), found({ param: 2 }))
  })

  test('ANDed with other conditions, at the top or nested; the first equality wins', () => {
    assert.deepEqual(locate("select * from users where name = 'x' and id = 7 and age > 3"), found(lit(1)))
    assert.deepEqual(
      locate('select * from users where x = 1 and (y = 2 and (id = 4 and z = 3))'),
      found(lit(2)),
    )
    assert.deepEqual(locate('select * from users where id in (1, 2) and id = 3'), found(lit(2)))
  })

  test('under OR or NOT, the key bounds nothing', () => {
    assert.deepEqual(locate('select * from users where id = 5 or x = 1'), NONE)
    assert.deepEqual(locate('select * from users where x = 1 and (id = 5 or id = 6)'), NONE)
    assert.deepEqual(locate('select * from users where not id = 5'), NONE)
    assert.deepEqual(locate('select * from users where id <> 5'), NONE)
  })

  test('IN gives every value', () => {
    assert.deepEqual(
      locate("select * from users where id in (1, -2, '3', $1)"),
      found(lit(0), lit(1, true), lit(2), { param: 1 }),
    )
    assert.deepEqual(locate('select * from users where id in (1, 2 + 3)'), NONE)
    assert.deepEqual(locate('select * from users where id not in (1, 2)'), NONE)
    assert.deepEqual(locate('select * from users where id in (select 1)'), NONE)
  })

  test('another table, or the key column of another table, is no key', () => {
    assert.deepEqual(locate('select * from orders where id = 5'), NONE)
    assert.deepEqual(locate('select * from users u where users.id = 5'), NONE) // the alias hides the name
    assert.deepEqual(locate('select * from users where user_id = 5'), NONE)
    assert.deepEqual(locate('update orders set id = 5 where id = 6'), NONE)
  })

  test('joins: qualified by the key table only; a bare name could be any table’s', () => {
    assert.deepEqual(
      locate('select * from users u join orders o on o.uid = u.id where u.id = 5'),
      found(lit(0)),
    )
    assert.deepEqual(locate('select * from orders o, users where users.id = 5'), found(lit(0)))
    assert.deepEqual(locate('select * from users join orders on true where id = 5'), NONE)
    assert.deepEqual(locate('select * from orders o join users u on true where o.id = 5'), NONE)
    assert.deepEqual(locate('update users set x = 1 from orders o where users.id = 5'), found(lit(1)))
    assert.deepEqual(locate('update users set x = 1 from orders o where id = 5'), NONE)
  })

  test('quoted identifiers follow Postgres case rules', () => {
    assert.deepEqual(locate('select * from "users" where "id" = 5'), found(lit(0)))
    assert.deepEqual(locate('select * from users where "ID" = 5'), NONE)
    assert.deepEqual(locate('select * from "Users" where id = 5'), NONE)
    assert.deepEqual(
      locate('select * from "Users" where id = 5', { table: 'Users', column: 'id' }),
      found(lit(0)),
    )
  })
})

describe('locateShardingKey: values', () => {
  test('negative numbers are unary minus on a literal', () => {
    assert.deepEqual(locate('select * from users where id = -5'), found(lit(0, true)))
    assert.deepEqual(locate('select * from users where id=-5'), found(lit(0, true)))
    assert.deepEqual(locate('select * from users where id = - /* c */ 5'), found(lit(0, true)))
    assert.deepEqual(locate('select * from users where id = - -5'), found(lit(0, false)))
    assert.deepEqual(locate('select * from users where id = +5'), found(lit(0)))
    assert.deepEqual(locate('select * from users where id = -$1'), NONE)
  })

  test('casts to integer types; literals may also be cast to numeric or text', () => {
    assert.deepEqual(locate('select * from users where id = 5::bigint'), found(lit(0)))
    assert.deepEqual(locate("select * from users where id = '5'"), found(lit(0)))
    assert.deepEqual(locate("select * from users where id = cast('5' as int8)"), found(lit(0)))
    assert.deepEqual(locate('select * from users where id = $1::int8'), found({ param: 1 }))
    assert.deepEqual(locate('select * from users where id = 5::pg_catalog.int8'), found(lit(0)))
    // real would round 16777217 to 16777216; text parameters may arrive as binary text bytes
    assert.deepEqual(locate('select * from users where id = 16777217::real'), NONE)
    assert.deepEqual(locate('select * from users where id = $1::text'), NONE)
    assert.deepEqual(locate('select * from users where id = 5::numeric(3, 0)'), NONE)
  })

  test('non-ASCII text before the literal (byte offsets, not string indices)', () => {
    const sql = "select * from users where name = 'héllo wörld 😀' and id = 42"
    assert.deepEqual(locate(sql), found(lit(1)))
    assert.deepEqual(keys(sql), [42n])
    assert.deepEqual(keys("select 'ü', '😀😀'; select * from users where id = -7"), [-7n])
  })

  test('multi-statement texts give the keys of every statement', () => {
    const sql =
      'select 1; delete from users where 7 = id; insert into users (id) values (8); select * from t where id = 3'
    assert.deepEqual(locate(sql), found(lit(1), lit(2)))
    assert.deepEqual(keys(sql), [7n, 8n])
    assert.deepEqual(locate('begin; update users set id = 1 where id = 2; commit').kind, 'error')
  })

  test('what the parser cannot read locates nothing', () => {
    assert.deepEqual(locate('select * from users where id = 1e3').kind, 'none')
    const buf = Buffer.from('select * from users where id = 5')
    const shape = new StatementShape().read(buf, 0, buf.length, false)
    assert.equal(locateShardingKey(buf, 0, buf.length, shape, USERS, false).kind, 'none')
  })
})

describe('locateShardingKey: INSERT and UPDATE', () => {
  test('INSERT … VALUES: the key of every row', () => {
    assert.deepEqual(
      locate("insert into users (name, id) values ('a', 1), ('b', -2), ('c', $1)"),
      found(lit(1), lit(3, true), { param: 1 }),
    )
    assert.deepEqual(locate('insert into users as u (id) values (1) returning *'), found(lit(0)))
    assert.deepEqual(locate('insert into orders (id) select 1'), NONE)
  })

  test('an INSERT the key cannot route is an error with a hint', () => {
    for (const sql of [
      'insert into users (id) select 1',
      "insert into users values (1, 'a')",
      "insert into users (name) values ('a')",
      "insert into users (id, name) values (default, 'a')",
      "insert into users (id, name) values (1, 'a'), (1 + 1, 'b')",
    ]) {
      const l = locate(sql)
      assert.equal(l.kind, 'error', sql)
      assert.match(
        (l as { message: string }).message,
        /INSERT into sharded table users must give id as a literal or parameter in a VALUES list/,
      )
      assert.ok((l as { hint?: string }).hint)
    }
  })

  test('a WITH query that writes the key table is an error; one that only reads it locates nothing', () => {
    assert.equal(
      locate('with x as (insert into users (id) values (1) returning *) select * from x').kind,
      'error',
    )
    assert.equal(locate('with x as (select 1) delete from users where id = 1').kind, 'error')
    assert.deepEqual(locate('with x as (select 1) select * from users where id = 1'), NONE)
  })

  test('changing the key is an error (UPDATE SET, ON CONFLICT DO UPDATE SET)', () => {
    const message =
      'updating the sharding key users.id would move the row to another shard; delete and re-insert it instead'
    assert.deepEqual((locate('update users set id = 2 where id = 1') as { message: string }).message, message)
    assert.equal(locate('update users u set name = 1, id = 2').kind, 'error')
    assert.equal(
      locate('insert into users (id) values (1) on conflict (id) do update set id = excluded.id + 1').kind,
      'error',
    )
    assert.deepEqual(
      locate('insert into users (id) values (1) on conflict (id) do update set n = 2'),
      found(lit(0)),
    )
  })
})

describe('readShardingKeys: literals', () => {
  test('reads another text of the same shape, without parsing it', () => {
    const learn = "select * from users where name = 'a' and id = 5"
    assert.deepEqual(
      keys("select * from users where name = 'ö€😀' and id = 123456789012345678", undefined, learn),
      [123456789012345678n],
    )
    assert.deepEqual(
      keys(
        'SELECT * FROM users WHERE id = -9223372036854775808',
        undefined,
        'select * from users where id = -1',
      ),
      [-9223372036854775808n],
    )
  })

  test('int8 range, strings as int8in reads them, dollar quotes, E strings', () => {
    assert.deepEqual(keys('select * from users where id = 9223372036854775807'), [9223372036854775807n])
    assert.deepEqual(keys("select * from users where id = '  -42 '"), [-42n])
    assert.deepEqual(
      keys('select * from users where id = $$17$$', undefined, "select * from users where id = '1'"),
      [17n],
    )
    assert.deepEqual(
      keys('select * from users where id = $t$17$t$', undefined, "select * from users where id = '1'"),
      [17n],
    )
    assert.deepEqual(
      keys("select * from users where id = E'18'", undefined, "select * from users where id = '1'"),
      [18n],
    )
    assert.deepEqual(keys("select * from users where id in ('-0', '+3')"), [0n, 3n])
  })

  test('refuses what is not a bigint', () => {
    for (const sql of [
      'select * from users where id = 9223372036854775808',
      'select * from users where id = -9223372036854775809',
      'select * from users where id = 5.5',
      "select * from users where id = 'abc'",
      "select * from users where id = ''",
    ]) {
      const r = keys(sql)
      assert.equal((r as KeyValueError).kind, 'value-error', sql)
      assert.match((r as KeyValueError).message, /is not a bigint/)
    }
    // The parser cannot read E'\x35' (so it locates nothing), but a text of its shape can carry it.
    const escaped = keys(
      "select * from users where id = E'\\x35'",
      undefined,
      "select * from users where id = E'1'",
    )
    assert.match((escaped as KeyValueError).message, /is not a bigint/)
  })
})

describe('readShardingKeys: parameters', () => {
  const sql = 'select * from users where id = $1'
  const int = (n: bigint, bytes: 2 | 4 | 8) => {
    const b = Buffer.alloc(bytes)
    if (bytes === 8) b.writeBigInt64BE(n)
    else if (bytes === 4) b.writeInt32BE(Number(n))
    else b.writeInt16BE(Number(n))
    return b
  }

  test('text, and binary int2, int4 and int8', () => {
    assert.deepEqual(keys(sql, { values: [Buffer.from(' 77 ')], formats: [] }), [77n])
    assert.deepEqual(keys(sql, { values: [int(-9223372036854775808n, 8)], formats: [1] }), [
      -9223372036854775808n,
    ])
    assert.deepEqual(keys(sql, { values: [int(-70000n, 4)], formats: [1], types: [23] }), [-70000n])
    assert.deepEqual(keys(sql, { values: [int(-3n, 2)], formats: [1], types: [0] }), [-3n])
    const two = 'select * from users where id in ($1, $2)'
    assert.deepEqual(keys(two, { values: [Buffer.from('5'), int(6n, 8)], formats: [0, 1] }), [5n, 6n])
  })

  test('refuses NULL, missing, odd binary lengths and non-integer declared types', () => {
    const cases: [BindParams | undefined, RegExp][] = [
      [{ values: [null], formats: [] }, /is NULL/],
      [{ values: [], formats: [] }, /not bound/],
      [undefined, /not bound/],
      [
        { values: [Buffer.alloc(3)], formats: [1] },
        /binary parameter \$1 of 3 bytes; send the sharding key as text or int8/,
      ],
      [{ values: [int(5n, 4)], formats: [1], types: [20] }, /binary parameter \$1 of 4 bytes/],
      [{ values: [int(5n, 8)], formats: [1], types: [701] }, /binary parameter \$1 of 8 bytes/],
      [{ values: [Buffer.from('5')], formats: [0], types: [701] }, /declared with type OID 701/],
      [{ values: [Buffer.from('5.0')], formats: [] }, /is not a bigint/],
    ]
    for (const [params, message] of cases) {
      const r = keys(sql, params) as KeyValueError
      assert.equal(r.kind, 'value-error')
      assert.match(r.message, message)
    }
  })
})

describe('KeyLocatorCache', () => {
  const realParse = (createRequire(import.meta.url)('pgsql-ast-parser') as { parse: AstParse }).parse

  function counting() {
    let calls = 0
    const parse: AstParse = (sql, options) => {
      calls++
      return realParse(sql, options)
    }
    return { parse, calls: () => calls }
  }

  function run(cache: KeyLocatorCache, sql: string, key = USERS) {
    const buf = Buffer.from(sql)
    const shape = new StatementShape().read(buf, 0, buf.length)
    const locator = cache.locate(buf, 0, buf.length, shape, key)
    return locator.kind === 'keys' ? readShardingKeys(locator, buf, shape) : locator
  }

  test('a hit does not parse, and reads each text’s own values', () => {
    const { parse, calls } = counting()
    const cache = new KeyLocatorCache({ parse })
    assert.deepEqual(run(cache, 'select * from users where id = 1'), [1n])
    assert.deepEqual(run(cache, 'SELECT * FROM users  WHERE id = 2 -- again'), [2n])
    assert.deepEqual(run(cache, 'select * from users where id = 3'), [3n])
    assert.equal(calls(), 1)
    assert.deepEqual(cache.counters, { hits: 2, misses: 1 })
    assert.deepEqual(run(cache, 'select * from users where id = -4'), [-4n]) // another shape: `- ?`
    assert.equal(calls(), 2)
  })

  test('a different key column learns again; the cache is bounded', () => {
    const { parse, calls } = counting()
    const cache = new KeyLocatorCache({ parse, maxShapes: 2 })
    run(cache, 'select * from users where id = 1')
    assert.deepEqual(run(cache, 'select * from users where id = 1', { table: 'users', column: 'uid' }), {
      kind: 'none',
    })
    assert.equal(calls(), 2)
    run(cache, 'select 1')
    run(cache, 'select 1, 2')
    assert.equal(cache.size, 2)
  })
})
