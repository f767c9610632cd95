/**
 * Issue 16, point 3: prepared statements after a schema change, in transaction mode. Directly, a
 * statement prepared before `ALTER TABLE … TYPE` fails with `0A000 cached plan must not change result
 * type`; a driver that re-prepares then gets the new type. Through Skiff the same must happen, whichever
 * server connection the client's transactions land on, and never rows decoded with the old types.
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import postgres from 'postgres'
import { parseErrorFields } from '../../gateway/src/protocol/backend-decode.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'
import { bind, describe as describeMessage, execute, parse, sync } from '../protocol-diff/messages.js'

/** What one run of a query gave: its value and JS type, or its SQLSTATE. */
type Outcome = string

async function outcome(run: () => Promise<Array<Record<string, unknown>>>): Promise<Outcome> {
  try {
    const rows = await run()
    const v = rows[0]?.c
    return `${JSON.stringify(v)}:${typeof v}`
  } catch (err) {
    return `error ${(err as { code?: string }).code}`
  }
}

let table = 0
/** A fresh table with one text value '1', and the statement that reads it. */
async function freshTable(): Promise<{ name: string; alter: () => Promise<void> }> {
  const name = `stale_stmt_${process.pid}_${table++}`
  await using admin = await pgClient(directUrl())
  await admin.query(`drop table if exists ${name}`)
  await admin.query(`create table ${name} (c text)`)
  await admin.query(`insert into ${name} values ('1')`)
  await admin.query(`grant all on ${name} to public`)
  return {
    name,
    alter: async () => {
      await using a = await pgClient(directUrl())
      await a.query(`alter table ${name} alter c type int using c::int`)
    },
  }
}

describe('issue 16 point 3: stale prepared statements after ALTER TABLE (transaction mode)', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: 2 })
  })
  after(() => gw.stop())

  /** postgres.js (prepare: true), one connection: 3 runs, the ALTER, 3 runs. */
  async function postgresJsRuns(url: string, t: { name: string; alter: () => Promise<void> }) {
    const sql = postgres(url, { max: 1, prepare: true, onnotice: () => {} })
    try {
      const runs: Outcome[] = []
      const once = () => outcome(() => sql.unsafe(`select c from ${t.name}`, [], { prepare: true }))
      for (let i = 0; i < 3; i++) runs.push(await once())
      await t.alter()
      for (let i = 0; i < 3; i++) runs.push(await once())
      return runs
    } finally {
      await sql.end()
    }
  }

  it('postgres.js: after the ALTER every run reads the number 1, as directly (it re-prepares on 0A000)', async () => {
    const direct = await postgresJsRuns(directUrl(), await freshTable())
    // postgres.js retries a statement whose error has routine RevalidateCachedQuery, so the 0A000 Postgres
    // sends for the stale statement never reaches the caller.
    assert.deepEqual(direct, ['"1":string', '"1":string', '"1":string', '1:number', '1:number', '1:number'])
    const skiff = await postgresJsRuns(gw.url(), await freshTable())
    assert.deepEqual(skiff, direct)
  })

  it('node-postgres named query: the same results as directly, run after run', async () => {
    const runs = async (url: string) => {
      const t = await freshTable()
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        const q = () =>
          outcome(async () => (await c.query({ name: 'read_c', text: `select c from ${t.name}` })).rows)
        const out: Outcome[] = []
        for (let i = 0; i < 2; i++) out.push(await q())
        await t.alter()
        for (let i = 0; i < 3; i++) out.push(await q())
        return out
      } finally {
        await c.end()
      }
    }
    const direct = await runs(directUrl())
    assert.deepEqual(direct.slice(0, 3), ['"1":string', '"1":string', 'error 0A000'])
    assert.deepEqual(await runs(gw.url()), direct)
  })

  it('a statement prepared before the ALTER, used on a server connection that never had it: 0A000 (so the driver re-prepares), not rows decoded with the old type', async () => {
    const t = await freshTable()
    const sql = postgres(gw.url(), { max: 1, prepare: true, onnotice: () => {} })
    const holder = await pgClient(gw.url())
    try {
      const read = () => outcome(() => sql.unsafe(`select c from ${t.name}`, [], { prepare: true }))
      assert.equal(await read(), '"1":string')
      // Hold the connection the statement was prepared on, so the next transaction lands on another.
      await holder.query('begin')
      await holder.query('select 1')
      await t.alter()
      // '"1":string' would be the new int4 rows decoded as the old text column.
      const runs = [await read(), await read(), await read()]
      assert.deepEqual(runs, ['1:number', '1:number', '1:number'])
    } finally {
      await holder.query('rollback').catch(() => {})
      await holder.end()
      await sql.end()
    }
  })

  it('a statement prepared before the ALTER, used where another client already prepared the new shape: 0A000', async () => {
    const t = await freshTable()
    const old = new pg.Client({ connectionString: gw.url() })
    await old.connect()
    const fresh = postgres(gw.url(), { max: 1, prepare: true, onnotice: () => {} })
    try {
      const readOld = () =>
        outcome(async () => (await old.query({ name: 'old_c', text: `select c from ${t.name}` })).rows)
      assert.equal(await readOld(), '"1":string')
      await t.alter()
      // Another client prepares the same text now: the servers' copies get the new shape.
      for (let i = 0; i < 4; i++)
        assert.equal(
          await outcome(() => fresh.unsafe(`select c from ${t.name}`, [], { prepare: true })),
          '1:number',
        )
      for (let i = 0; i < 3; i++) assert.equal(await readOld(), 'error 0A000')
    } finally {
      await old.end()
      await fresh.end()
    }
  })

  it('a lone Parse + Sync of the same text after the ALTER takes effect: its Bind reads int4, as directly', async () => {
    const direct = await loneReparse(topology().primary.port)
    assert.deepEqual(direct, ['rows 25:1', 'error 0A000', 'parsed', 'rows 23:1', 'error 0A000'])
    assert.deepEqual(await loneReparse(gw.port), direct)
  })

  it('a statement used on a server connection where Skiff prepares it anew after the ALTER: 0A000, as directly', async () => {
    const direct = await otherServer(topology().primary.port)
    assert.deepEqual(direct, ['rows 25:1', 'error 0A000', 'error 0A000'])
    assert.deepEqual(await otherServer(gw.port), direct)
  })

  /** P(a)+S, B(a)+E+S; ALTER; B(a)+E+S; P(b)+S; B(b)+E+S; B(a)+E+S — what each step answered. */
  async function loneReparse(port: number): Promise<string[]> {
    const t = await freshTable()
    const s = await RawSocket.login(port)
    const text = `select c from ${t.name}`
    const out: string[] = []
    await exchange(s, [parse('a', text), sync()])
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    await t.alter()
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    out.push(await exchange(s, [parse('b', text), sync()]))
    out.push(await exchange(s, [bind('b'), describeMessage('P', ''), execute(''), sync()]))
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    s.destroy()
    return out
  }

  /** Like loneReparse, but the server connection the statement was prepared on is held by another client. */
  async function otherServer(port: number): Promise<string[]> {
    const t = await freshTable()
    const s = await RawSocket.login(port)
    const text = `select c from ${t.name}`
    const out: string[] = []
    await exchange(s, [parse('a', text), sync()])
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    const holder = await RawSocket.login(port)
    await exchange(holder, [parse('', 'begin'), bind(''), execute(''), sync()])
    await t.alter()
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    out.push(await exchange(s, [bind('a'), describeMessage('P', ''), execute(''), sync()]))
    holder.destroy()
    s.destroy()
    return out
  }
})

/**
 * Sends one batch ending in a Sync and sums up the reply: `error <SQLSTATE>`, `rows <type OID>:<first
 * value>` (from the RowDescription and the first DataRow), or `parsed`.
 */
async function exchange(s: RawSocket, messages: Buffer[]): Promise<string> {
  const from = s.messages.length
  s.write(Buffer.concat(messages))
  await s.until(() => s.messages.slice(from).some((m) => m.code === 'Z'))
  const got = s.messages.slice(from)
  const error = got.find((m) => m.code === 'E')
  if (error !== undefined) return `error ${parseErrorFields(error.body, 0, error.body.length).get('C')}`
  const rd = got.find((m) => m.code === 'T')
  const row = got.find((m) => m.code === 'D')
  if (rd === undefined || row === undefined) return 'parsed'
  const nameEnd = rd.body.indexOf(0, 7)
  const type = rd.body.readInt32BE(nameEnd + 1 + 6)
  const length = row.body.readInt32BE(7)
  return `rows ${type}:${row.body.toString('utf8', 11, 11 + length)}`
}
