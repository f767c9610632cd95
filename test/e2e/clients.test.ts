import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import postgres from 'postgres'
import { pgClient, pgTool, run } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const BENCH_DB = 'skiff_pgbench'

for (const poolMode of ['transaction', 'session'] as const) {
  describe(`real clients through the gateway, ${poolMode} mode`, () => {
    let gw: TestGateway
    const user = () => topology().users.scram
    const env = () => ({ PGPASSWORD: user().password, PGCONNECT_TIMEOUT: '10' })
    const pgbench = (...args: string[]) =>
      run(
        pgTool('pgbench'),
        ['-h', '127.0.0.1', '-p', String(gw.port), '-U', user().username, ...args, BENCH_DB],
        env(),
      )

    before(async () => {
      await using admin = await pgClient(directUrl())
      await admin.query(`drop database if exists ${BENCH_DB} with (force)`)
      await admin.query(`create database ${BENCH_DB} owner ${user().username}`)
      gw = await startTestGateway({ poolMode, poolSize: 4, database: BENCH_DB })
    })
    after(() => gw.stop())

    it('psql runs queries, reports errors and copies in and out', async () => {
      const script = [
        'create table t_copy (id int, name text);',
        '\\copy t_copy from stdin with (format csv)',
        '1,one',
        '2,"two, too"',
        '\\.',
        '\\copy (select * from t_copy order by id) to stdout with (format csv)',
        'select count(*) as n from t_copy;',
        'drop table t_copy;',
      ].join('\n')
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'skiff-psql-')), 'script.sql')
      writeFileSync(file, `${script}\n`)
      const r = await run(
        pgTool('psql'),
        [gw.url('scram'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-f', file],
        env(),
      )
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, ['1,one', '2,"two, too"', '2', ''].join('\n'))
      const bad = await run(
        pgTool('psql'),
        [gw.url('scram'), '-X', '-v', 'ON_ERROR_STOP=1', '-c', 'select * from no_such_table'],
        env(),
      )
      assert.notEqual(bad.code, 0)
      assert.match(bad.stderr, /relation "no_such_table" does not exist/)
    })

    it('node-postgres: parameters, NOTICE, errors inside a transaction', async () => {
      await using c = await pgClient(gw.url('md5'))
      const r = await c.query('select $1::int + $2::int as sum, $3::text as t', [40, 2, 'héllo'])
      assert.deepEqual(r.rows, [{ sum: 42, t: 'héllo' }])
      const notices: string[] = []
      c.on('notice', (n) => notices.push(n.message ?? ''))
      await c.query(`do $$ begin raise notice 'hello from the server'; end $$`)
      assert.deepEqual(notices, ['hello from the server'])
      await c.query('begin')
      await assert.rejects(c.query('select 1/0'), { code: '22012' })
      await assert.rejects(c.query('select 1'), { code: '25P02' })
      await c.query('rollback')
      assert.equal((await c.query('select 3 as n')).rows[0].n, 3)
    })

    it('postgres.js: pipelined queries, transactions and cancel', async () => {
      const sql = postgres(gw.url('scram'), { prepare: poolMode === 'session', max: 1, onnotice: () => {} })
      try {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sql`select ${i}::int as i`))
        assert.deepEqual(
          results.map((r) => r[0]!.i),
          Array.from({ length: 50 }, (_, i) => i),
        )
        const [row] = await sql.begin(async (tx) => {
          await tx`create temp table if not exists pjs (x int)`
          await tx`insert into pjs values (1), (2)`
          return tx`select sum(x)::int as s from pjs`
        })
        assert.equal(row!.s, 3)
        const slow = sql`select pg_sleep(10)`
        setTimeout(() => slow.cancel(), 200)
        await assert.rejects(slow, { code: '57014' })
        assert.equal((await sql`select 1 as one`)[0]!.one, 1)
      } finally {
        await sql.end({ timeout: 5 })
      }
    })

    it('pgbench -i loads through COPY, then -S, TPC-B, -M extended and -C run clean', async () => {
      const init = await pgbench('-i', '-s', '1', '-q')
      assert.equal(init.code, 0, init.stderr)
      assert.match(init.stderr, /done in/)
      for (const args of [['-S'], [], ['-S', '-M', 'extended'], ['-M', 'extended'], ['-S', '-C']]) {
        const r = await pgbench('-n', '-c', '4', '-j', '2', '-t', '50', ...args)
        assert.equal(r.code, 0, `pgbench ${args.join(' ')}: ${r.stderr}`)
        assert.match(
          r.stdout,
          /number of transactions actually processed: 200\/200/,
          `pgbench ${args.join(' ')}`,
        )
        assert.match(r.stdout, /number of failed transactions: 0 /, `pgbench ${args.join(' ')}`)
      }
    })
  })
}
