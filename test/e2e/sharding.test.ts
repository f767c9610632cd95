/**
 * Sharding by key (issue 20, acceptance 2): rows written through Skiff over the topology's shard
 * primaries land only on the shard Postgres's own hash partitioning names (checked on each shard with
 * `satisfies_hash_partition`, not with Skiff's function), and Skiff finds each again; the same with
 * `SET SHARDING KEY TO`, `SET SHARD TO`, comments and the HTTP headers. Statements that no one shard
 * can serve get a clear error and write nothing.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import postgres from 'postgres'
import { pgTool, run } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

/** Runs `sql` as the superuser directly on shard `i`'s primary. */
async function onShard<T extends pg.QueryResultRow = pg.QueryResultRow>(
  i: number,
  sql: string,
): Promise<T[]> {
  const t = topology()
  const su = t.users.superuser
  const client = new pg.Client({
    host: '127.0.0.1',
    port: t.shards[i]!.port,
    user: su.username,
    password: su.password,
    database: t.shardDatabase,
  })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

const SHARDS = () => topology().shards.length

/** Per shard, the ids of `table` there, and whether Postgres's hash puts every one of them there. */
async function placement(table: string): Promise<{ ids: string[]; misplaced: number }[]> {
  const out = []
  for (let i = 0; i < SHARDS(); i++) {
    const rows = await onShard<{ id: string }>(i, `select id::text from ${table} order by id`)
    const [bad] = await onShard<{ n: string }>(
      i,
      `select count(*)::text as n from ${table}
        where not satisfies_hash_partition('sh_hash_parent'::regclass, ${SHARDS()}, ${i}, id::bigint)`,
    )
    out.push({ ids: rows.map((r) => r.id), misplaced: Number(bad!.n) })
  }
  return out
}

/** The shard Postgres's PARTITION BY HASH puts `key` in (asked of shard 0's server). */
async function postgresShard(key: bigint | number): Promise<number> {
  for (let i = 0; i < SHARDS(); i++) {
    const [r] = await onShard<{ ok: boolean }>(
      0,
      `select satisfies_hash_partition('sh_hash_parent'::regclass, ${SHARDS()}, ${i}, ${key}::bigint) as ok`,
    )
    if (r!.ok) return i
  }
  throw new Error(`no shard for ${key}`)
}

describe('sharding by key (three shard primaries)', () => {
  let gw: TestGateway
  before(async () => {
    for (let i = 0; i < SHARDS(); i++) {
      await onShard(
        i,
        `drop table if exists sh_users, sh_notes, sh_hash_parent;
         create table sh_users (id bigint primary key, name text);
         create table sh_notes (user_id bigint, note text);
         create table sh_hash_parent (id bigint) partition by hash (id);
         grant all on sh_users, sh_notes to public`,
      )
    }
    gw = await startTestGateway({
      shards: true,
      database: topology().shardDatabase,
      pool: `automatic_sharding_key = "sh_users.id"
sharding_key_regex = '/\\* sharding_key: (-?\\d+) \\*/'
shard_id_regex = '/\\* shard_id: (\\d+) \\*/'`,
    })
  })
  after(() => gw?.stop())

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: gw.url('scram', topology().shardDatabase) })
    await c.connect()
    return c
  }

  test('INSERT with literal keys (simple protocol) lands on the hash partition Postgres names; SELECT finds each', async () => {
    const c = await client()
    try {
      const keys = [...Array.from({ length: 200 }, (_, i) => i + 1), -1, -77, 0, 9223372036854775807n]
      for (const k of keys) await c.query(`insert into sh_users (id, name) values (${k}, 'lit ${k}')`)
      const where = await placement('sh_users')
      assert.deepEqual(
        where.map((w) => w.misplaced),
        where.map(() => 0),
      )
      assert.equal(
        where.reduce((n, w) => n + w.ids.length, 0),
        keys.length,
        'each row written once',
      )
      assert.ok(
        where.every((w) => w.ids.length > 30),
        'rows spread over every shard',
      )
      for (const k of keys) {
        const r = await c.query(`select name from sh_users where id = ${k}`)
        assert.deepEqual(r.rows, [{ name: `lit ${k}` }], `key ${k}`)
      }
    } finally {
      await c.end()
    }
  })

  test('bound keys (extended protocol, node-postgres and postgres.js), aliases, AND, IN on one shard', async () => {
    const c = await client()
    const sql = postgres(gw.url('scram', topology().shardDatabase), { max: 2, onnotice: () => {} })
    try {
      for (let k = 1001; k <= 1100; k++)
        await c.query('insert into sh_users (name, id) values ($1, $2)', [`b ${k}`, k])
      for (let k = 2001; k <= 2050; k++)
        await sql`insert into sh_users (id, name) values (${k}, ${`pj ${k}`})`
      const where = await placement('sh_users')
      assert.deepEqual(
        where.map((w) => w.misplaced),
        where.map(() => 0),
      )
      for (const k of [1001, 1050, 1100]) {
        const r = await c.query('select u.name from sh_users u where u.name like $2 and u.id = $1', [
          k,
          'b %',
        ])
        assert.deepEqual(r.rows, [{ name: `b ${k}` }])
      }
      for (const k of [2001, 2025, 2050]) {
        const rows = await sql`select name from sh_users where id = ${k}`
        assert.equal(rows[0]?.name, `pj ${k}`)
      }
      // Two keys on the same shard in one IN list.
      const s0 = await postgresShard(1001)
      let other = 1002
      while ((await postgresShard(other)) !== s0) other++
      const r = await c.query(`select count(*)::int as n from sh_users where id in (1001, ${other})`)
      assert.deepEqual(r.rows, [{ n: 2 }])
    } finally {
      await c.end()
      await sql.end()
    }
  })

  test('SET SHARDING KEY TO, SET SHARD TO, SHOW SHARD and comments route statements without a key', async () => {
    const c = await client()
    try {
      assert.deepEqual((await c.query('show shard')).rows, [{ shard: 'any' }])
      await c.query(`set sharding key to '4242'`)
      const s4242 = await postgresShard(4242)
      assert.deepEqual((await c.query('show shard')).rows, [{ shard: String(s4242) }])
      await c.query(`insert into sh_notes values (4242, 'by set sharding key')`)
      await c.query(`set shard to '2'`)
      await c.query(`insert into sh_notes values (-5, 'by set shard')`)
      await c.query(`set shard to 'any'`)
      await c.query(`/* sharding_key: 77 */ insert into sh_notes values (77, 'by key comment')`)
      await c.query(`/* shard_id: 1 */ insert into sh_notes values (-6, 'by shard comment')`)
      await c.query({
        text: `/* shard_id: 0 */ insert into sh_notes values ($1, 'bound, shard comment')`,
        values: [-7],
      })
      const expected = new Map<string, number>([
        ['by set sharding key', s4242],
        ['by set shard', 2],
        ['by key comment', await postgresShard(77)],
        ['by shard comment', 1],
        ['bound, shard comment', 0],
      ])
      for (let i = 0; i < SHARDS(); i++) {
        const notes = (await onShard<{ note: string }>(i, 'select note from sh_notes')).map((r) => r.note)
        for (const note of notes) assert.equal(expected.get(note), i, `${note} on shard ${i}`)
      }
      const total = await Promise.all([0, 1, 2].map((i) => onShard(i, 'select 1 from sh_notes')))
      assert.equal(total.flat().length, expected.size, 'every note written exactly once')
    } finally {
      await c.end()
    }
  })

  test('an explicit transaction runs on the shard of its first statement', async () => {
    const c = await client()
    try {
      const s = await postgresShard(5001)
      let other = 5002
      while ((await postgresShard(other)) !== s) other++
      await c.query('begin')
      await c.query(`insert into sh_users (id, name) values (5001, 'txn a')`)
      await c.query(`insert into sh_users (name, id) values ('txn b', ${other})`)
      await c.query('commit')
      const rows = await onShard<{ name: string }>(
        s,
        `select name from sh_users where id in (5001, ${other})`,
      )
      assert.equal(rows.length, 2)
    } finally {
      await c.end()
    }
  })

  test('inside a transaction, a statement whose key is on another shard fails there, and the transaction with it', async () => {
    const c = await client()
    try {
      const s = await postgresShard(6001)
      let other = 6002
      while ((await postgresShard(other)) === s) other++
      await c.query('begin')
      await c.query(`insert into sh_users (id, name) values (6001, 'kept?')`)
      await assert.rejects(
        c.query(`insert into sh_users (id, name) values (${other}, 'elsewhere')`),
        (err: pg.DatabaseError) => {
          assert.equal(err.code, '0A000')
          assert.match(
            err.message,
            new RegExp(`this transaction runs on shard ${s}, and this statement names shard`),
          )
          assert.match(err.hint ?? '', /transaction of their own/)
          return true
        },
      )
      await assert.rejects(c.query('select 1'), (err: pg.DatabaseError) => err.code === '25P02')
      const end = await c.query('commit')
      assert.equal(end.command, 'ROLLBACK', 'the failed transaction rolls back, as on Postgres')
      for (let i = 0; i < SHARDS(); i++) {
        const rows = await onShard(i, `select 1 from sh_users where id in (6001, ${other})`)
        assert.equal(rows.length, 0, `nothing written on shard ${i}`)
      }
      // Statements without a key, or with one on the same shard, run in the transaction as usual.
      let same = 6002
      while ((await postgresShard(same)) !== s) same++
      await c.query('begin')
      await c.query(`insert into sh_users (id, name) values (6001, 'a')`)
      await c.query(`select count(*) from sh_users`)
      await c.query(`insert into sh_users (id, name) values (${same}, 'b')`)
      await c.query('commit')
      assert.equal((await onShard(s, `select 1 from sh_users where id in (6001, ${same})`)).length, 2)
    } finally {
      await c.end()
    }
  })

  test('statements no one shard can serve get a clear error and write nothing', async () => {
    const c = await client()
    const fails = async (sql: string, code: string, message: RegExp, values?: unknown[]) => {
      await assert.rejects(c.query(sql, values), (err: pg.DatabaseError) => {
        assert.equal(err.code, code, `${sql}: ${err.message}`)
        assert.match(err.message, message)
        return true
      })
    }
    try {
      const before = await placement('sh_users')
      await fails(`insert into sh_notes values (1, 'nowhere')`, '0A000', /names none; it may write/)
      await fails(`update sh_users set id = 7 where id = 1`, '0A000', /sharding key/)
      await fails(
        `insert into sh_users (id, name) values (1, 'x'), (2, 'y'), (3, 'z'), (4, 'w')`,
        '0A000',
        /on shards/,
      )
      await fails(`insert into sh_users values (9, 'no column list')`, '0A000', /must give id/)
      await fails(`set shard to '3'`, '22023', /shard 3 is not configured/)
      await fails(`set sharding key to 'abc'`, '22023', /sharding key/i)
      await fails(`select * from sh_users where id = 'abc'`, '22023', /not .*integer|bigint/)
      assert.deepEqual((await c.query('select 1 as one')).rows, [{ one: 1 }], 'the session still works')
      assert.deepEqual(await placement('sh_users'), before, 'nothing written')
      const notes = await Promise.all(
        [0, 1, 2].map((i) => onShard(i, `select 1 from sh_notes where note = 'nowhere'`)),
      )
      assert.equal(notes.flat().length, 0)
    } finally {
      await c.end()
    }
  })

  test('HTTP: Skiff-Sharding-Key and Skiff-Shard go through the same router', async () => {
    const post = async (query: string, headers: Record<string, string>) => {
      const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
        method: 'POST',
        headers: { 'Neon-Connection-String': gw.url('scram', topology().shardDatabase), ...headers },
        body: JSON.stringify({ query, params: [] }),
      })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    assert.equal(
      (await post(`insert into sh_notes values (9090, 'http key')`, { 'Skiff-Sharding-Key': '9090' })).status,
      200,
    )
    assert.equal(
      (await post(`insert into sh_notes values (1, 'http shard')`, { 'Skiff-Shard': '1' })).status,
      200,
    )
    const auto = await post(`insert into sh_users (id, name) values (7070, 'http auto')`, {})
    assert.equal(auto.status, 200, JSON.stringify(auto.body))
    const bad = await post('select 1', { 'Skiff-Shard': '9' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, '22023')
    const where = async (sql: string) => {
      for (let i = 0; i < SHARDS(); i++) if ((await onShard(i, sql)).length > 0) return i
      return -1
    }
    assert.equal(await where(`select 1 from sh_notes where note = 'http key'`), await postgresShard(9090))
    assert.equal(await where(`select 1 from sh_notes where note = 'http shard'`), 1)
    assert.equal(await where(`select 1 from sh_users where id = 7070`), await postgresShard(7070))
  })

  test('pgbench with the key in its WHERE clauses runs over three shards with no failed transaction', async (t) => {
    for (let i = 0; i < SHARDS(); i++) {
      await onShard(
        i,
        `drop table if exists sh_bench;
         create table sh_bench (id bigint primary key, balance int not null);
         insert into sh_bench select g, 0 from generate_series(1, 10000) g
           where satisfies_hash_partition('sh_hash_parent'::regclass, ${SHARDS()}, ${i}, g::bigint);
         grant all on sh_bench to public`,
      )
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'skiff-shard-bench-'))
    const script = (body: string) => {
      const file = path.join(dir, `${body.length}.sql`)
      writeFileSync(file, `\\set aid random(1, 10000)\n${body}`)
      return file
    }
    // \gset fails the transaction when the SELECT finds no row: a read sent to the wrong shard.
    const routed = script(
      'select balance from sh_bench where id = :aid \\gset\nupdate sh_bench set balance = balance + 1 where id = :aid;\n',
    )
    const user = topology().users.scram
    const env = { PGPASSWORD: user.password, PGCONNECT_TIMEOUT: '10' }
    const pgbench = async (port: number, file: string, mode: string) => {
      const args = ['-h', '127.0.0.1', '-p', String(port), '-U', user.username, '-n', '-f', file, '-M', mode]
      const r = await run(
        pgTool('pgbench'),
        [...args, '-c', '4', '-j', '2', '-T', '3', topology().shardDatabase],
        env,
      )
      assert.equal(r.code, 0, `pgbench -M ${mode}: ${r.stderr}`)
      assert.match(r.stdout, /number of failed transactions: 0 /, `pgbench -M ${mode}`)
      const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1])
      assert.ok(tps > 0, r.stdout)
      return tps
    }
    const bench = await startTestGateway({
      shards: true,
      database: topology().shardDatabase,
      pool: 'automatic_sharding_key = "sh_bench.id"',
    })
    const through: Record<string, number> = {}
    try {
      for (const mode of ['simple', 'extended', 'prepared'])
        through[mode] = await pgbench(bench.port, routed, mode)
    } finally {
      await bench.stop()
    }
    const [updated] = await Promise.all(
      [0, 1, 2].map((i) => onShard<{ n: string }>(i, 'select sum(balance)::text as n from sh_bench')),
    )
    assert.ok(Number(updated![0]!.n) > 0, 'the updates reached shard 0')
    // One shard direct, for scale: the same statements (its own keys found, the others' not).
    const direct = script(
      'select balance from sh_bench where id = :aid;\nupdate sh_bench set balance = balance + 1 where id = :aid;\n',
    )
    const one = await pgbench(topology().shards[0]!.port, direct, 'simple')
    t.diagnostic(
      `tps through Skiff over ${SHARDS()} shards: ${JSON.stringify(through)}; shard 0 direct (simple): ${one}`,
    )
  })
})
