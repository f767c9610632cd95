/**
 * Cross-shard reads (issue 20) against real Postgres, without the gateway: each query of a corpus is
 * planned, its shard statement runs on every shard primary over a raw simple-protocol connection, the
 * replies go through a ReplyMerger and then the CrossShardResult stage, and the rows must equal those
 * of the original query on one server holding every row (in order where the ORDER BY fixes it, else
 * as multisets; values compared as text), with the same column names and types. Then the same corpus
 * through Skiff (issue 20, acceptance 3): a pool of the topology's shard primaries with
 * `cross_shard_reads = true`, each query sent as a client would, compared with the one server.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { parseDataRowText, parseErrorFields } from '../../gateway/src/protocol/backend-decode.js'
import { CrossShardResult } from '../../gateway/src/protocol/cross-shard-result.js'
import { MessageFramer } from '../../gateway/src/protocol/framer.js'
import { serializeQuery } from '../../gateway/src/protocol/frontend.js'
import { ReplyMerger } from '../../gateway/src/protocol/reply-merger.js'
import { planCrossShardRead } from '../../gateway/src/sql/cross-shard-plan.js'
import {
  insertRows,
  MERGE_CORPUS,
  REFUSE_CORPUS,
  ROW_COUNT,
  shardOf,
  TABLE_DDL,
} from '../helpers/cross-shard-corpus.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'

/** A result as text: column names and types, rows, and the error's SQLSTATE if any. */
interface Result {
  columns: string[]
  rows: (string | null)[][]
  error?: string
}

function decode(stream: Buffer): Result {
  const f = new MessageFramer()
  f.push(stream)
  const result: Result = { columns: [], rows: [] }
  while (f.next()) {
    if (f.code === 0x44) result.rows.push(parseDataRowText(f.buffer, f.start, f.end))
    if (f.code === 0x45) {
      const fields = parseErrorFields(f.buffer, f.start, f.end)
      result.error = `${fields.get('C')} ${fields.get('M')}`
    }
    if (f.code === 0x54) result.columns = rowDescription(f.buffer, f.start)
  }
  return result
}

function rowDescription(buf: Buffer, start: number): string[] {
  const count = buf.readInt16BE(start + 5)
  const out: string[] = []
  let at = start + 7
  for (let i = 0; i < count; i++) {
    const nul = buf.indexOf(0, at)
    out.push(`${buf.toString('utf8', at, nul)}:${buf.readInt32BE(nul + 7)}`)
    at = nul + 19
  }
  return out
}

async function setUp(port: number, database: string, ids: number[]): Promise<void> {
  const su = topology().users.superuser
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: su.username,
    password: su.password,
    database,
  })
  await client.connect()
  try {
    await client.query(TABLE_DDL)
    await client.query(insertRows(ids))
  } finally {
    await client.end()
  }
}

/** Sends `sql` on `socket` and returns every message up to ReadyForQuery. */
async function ask(socket: RawSocket, sql: string): Promise<Buffer[]> {
  socket.messages.length = 0
  socket.write(serializeQuery(sql))
  await socket.until(() => socket.messages.some((m) => m.code === 'Z'))
  return socket.messages.map((m) => m.body)
}

const sortKey = (row: (string | null)[]) => JSON.stringify(row)

/**
 * Every corpus query's result from `answer` equals the single server's: same columns (names and
 * types), same rows, in order where the query's ORDER BY fixes it, else as multisets.
 */
async function assertCorpusEqual(single: RawSocket, answer: (sql: string) => Promise<Result>): Promise<void> {
  const failures: string[] = []
  for (const { sql, ordered } of MERGE_CORPUS) {
    const want = decode(Buffer.concat(await ask(single, sql)))
    const got = await answer(sql)
    const same = (a: Result) => (ordered ? a.rows : a.rows.map(sortKey).sort())
    try {
      assert.equal(want.error, undefined, 'one server')
      assert.equal(got.error, undefined)
      assert.deepEqual(got.columns, want.columns)
      assert.deepEqual(same(got), same(want))
    } catch (error) {
      failures.push(`${sql}\n  ${(error as Error).message.split('\n').slice(0, 12).join('\n  ')}`)
    }
  }
  assert.equal(failures.length, 0, failures.join('\n'))
}

/** The corpus table on every shard primary (each with its own rows) and whole on the single server. */
async function loadCorpus(): Promise<void> {
  const t = topology()
  const ids = Array.from({ length: ROW_COUNT }, (_, i) => i + 1)
  await Promise.all([
    ...t.shards.map((s, k) =>
      setUp(
        s.port,
        t.shardDatabase,
        ids.filter((i) => shardOf(i) === k),
      ),
    ),
    setUp(t.primary.port, t.database, ids),
  ])
}

describe('cross-shard reads planned, run on real shards and merged, equal one server', () => {
  let shards: RawSocket[]
  let single: RawSocket
  before(async () => {
    const t = topology()
    await loadCorpus()
    shards = await Promise.all(t.shards.map((s) => RawSocket.login(s.port, { database: t.shardDatabase })))
    single = await RawSocket.login(t.primary.port)
  })
  after(() => {
    for (const s of [...shards, single]) s.destroy()
  })

  /** The merged result of `sql` over every shard. */
  async function merged(sql: string): Promise<Result> {
    const plan = planCrossShardRead(sql)
    assert.equal(plan.kind, 'merge', `${sql}: ${plan.kind === 'refuse' ? plan.message : ''}`)
    if (plan.kind !== 'merge') throw new Error('unreachable')
    const replies = await Promise.all(shards.map((s) => ask(s, plan.shardSql)))
    const out: Buffer[] = []
    const stage = new CrossShardResult(plan.merge, (b) => out.push(Buffer.from(b)))
    const merger = new ReplyMerger(shards.length, (b) => stage.push(b, 0, b.length))
    merger.expectReady()
    const longest = Math.max(...replies.map((r) => r.length))
    for (let k = 0; k < longest; k++)
      for (const [i, r] of replies.entries()) if (r[k] !== undefined) merger.push(i, r[k]!, 0, r[k]!.length)
    assert.equal(merger.done, true)
    return decode(Buffer.concat(out))
  }

  it(`merges each of the ${MERGE_CORPUS.length} corpus queries into the single server's result`, async () => {
    assert.ok(MERGE_CORPUS.length >= 50)
    await assertCorpusEqual(single, merged)
  })

  it('refuses every query of the refusal corpus, naming what it cannot merge', () => {
    for (const sql of REFUSE_CORPUS) {
      const plan = planCrossShardRead(sql)
      assert.equal(plan.kind, 'refuse', sql)
      if (plan.kind !== 'refuse') continue
      assert.match(plan.message, /^cross-shard read: .+ cannot be merged across shards$/, sql)
      assert.match(plan.hint ?? '', /SET SHARD TO/)
    }
  })

  it('refuses to sort text without COLLATE "C" with 0A000 and no rows', async () => {
    const got = await merged('select id, note from xs_items order by note, id')
    assert.match(got.error ?? '', /^0A000 cross-shard read: comparing text across shards needs COLLATE "C"/)
    assert.deepEqual(got.rows, [])
  })
})

describe('cross-shard reads through Skiff equal one server (cross_shard_reads = true)', () => {
  let gw: TestGateway
  let client: RawSocket
  let single: RawSocket
  before(async () => {
    const t = topology()
    await loadCorpus()
    gw = await startTestGateway({ shards: true, database: t.shardDatabase, pool: 'cross_shard_reads = true' })
    client = await RawSocket.login(gw.port, { database: t.shardDatabase })
    single = await RawSocket.login(t.primary.port)
  })
  after(async () => {
    client?.destroy()
    single?.destroy()
    await gw?.stop()
  })

  it(`answers each of the ${MERGE_CORPUS.length} corpus queries as the single server does`, async () => {
    await assertCorpusEqual(single, async (sql) => decode(Buffer.concat(await ask(client, sql))))
  })

  it('refuses each query of the refusal corpus with 0A000 and a message naming the construct', async () => {
    for (const sql of REFUSE_CORPUS) {
      const got = decode(Buffer.concat(await ask(client, sql)))
      // Reads are planned (and refused by name); what the classifier calls a write (FOR UPDATE, …)
      // never fans out either.
      assert.match(
        got.error ?? '',
        /^0A000 .*(cross-shard read: .+ cannot be merged across shards|names none; it may write)/,
        sql,
      )
      assert.deepEqual(got.rows, [], sql)
    }
  })

  it('an error on any shard fails the whole result; writes never fan out; the session goes on', async () => {
    // Division by zero only where id = 5 lives: no rows from the other shards go out either.
    const failed = decode(Buffer.concat(await ask(client, 'select 10 / (id - 5) from xs_items order by 1')))
    assert.match(failed.error ?? '', /^22012 /)
    assert.deepEqual(failed.rows, [])
    const write = decode(Buffer.concat(await ask(client, 'update xs_items set val = 0')))
    assert.match(write.error ?? '', /^0A000 .*names none; it may write/)
    const counted = decode(Buffer.concat(await ask(client, 'select count(*) from xs_items')))
    assert.deepEqual(counted.rows, [[String(ROW_COUNT)]])
  })

  it('a keyless read in the extended protocol is refused clearly, not answered from one shard', async () => {
    const t = topology()
    const c = new pg.Client({ connectionString: gw.url('scram', t.shardDatabase) })
    await c.connect()
    try {
      await assert.rejects(
        c.query('select count(*) from xs_items where val > $1', [0]),
        (err: pg.DatabaseError) => {
          assert.equal(err.code, '0A000')
          assert.match(err.message, /only as one simple-protocol Query/)
          return true
        },
      )
      const r = await c.query('select count(*) as n from xs_items')
      assert.deepEqual(r.rows, [{ n: String(ROW_COUNT) }])
    } finally {
      await c.end()
    }
  })
})
