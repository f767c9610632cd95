/**
 * Issue 22, acceptance 1 (read-your-writes): with both replicas applying WAL 2 s late, an SDK client's
 * reads right after its own writes see them (it keeps the last `Skiff-Lsn` and sends it back), a
 * bookmark carries that guarantee to a second client (another isolate), a WebSocket transaction's
 * write is seen by the next HTTP read, and a client with read-your-writes off does read stale data
 * (so the guarantee is the SDK's doing, not the routing's).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { HA_TABLE, useHaTopology } from '../helpers/ha-topology.js'
import { sdkClient } from '../helpers/sdk-client.js'

const PAIRS = 200
const INSERT = `insert into ${HA_TABLE} (writer, seq) values ($1, $2)`
const COUNT = `select count(*)::int as n from ${HA_TABLE} where writer = $1 and seq = $2`

describe('client SDK: read-your-writes with replicas 2 s behind', () => {
  const ha = useHaTopology({ replicaSettings: { recovery_min_apply_delay: "'2s'" } })
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      topology: ha().description,
      replicas: true,
      poolSize: 8,
      general: 'healthcheck_interval = 200',
      pool: [
        'query_parser_enabled = true',
        'query_parser_read_write_splitting = true',
        'primary_reads_enabled = false',
        'read_your_writes = true',
      ].join('\n'),
    })
  })
  after(() => gw?.stop())

  const client = (extra = {}) => sdkClient(gw, extra, ha().description)
  const seen = async (db: ReturnType<typeof client>, writer: number, seq: number) =>
    (await db.query<{ n: number }>(COUNT, [writer, seq])).rows[0]!.n === 1

  it(`${PAIRS} write→read pairs over HTTP, zero stale reads; the bookmark advances`, async () => {
    const db = client()
    assert.equal(db.bookmark(), undefined)
    let stale = 0
    let last = ''
    for (let seq = 0; seq < PAIRS; seq++) {
      await db.query(INSERT, [300, seq])
      if (!(await seen(db, 300, seq))) stale++
      const now = db.bookmark()
      assert.match(now ?? '', /^[0-9A-F]+\/[0-9A-F]+$/)
      last = now!
    }
    assert.equal(stale, 0, 'every read saw the write before it')
    assert.ok(last !== '')
  })

  it('a bookmark passed to another client (another isolate) carries the guarantee; without one reads are stale', async () => {
    const writer = client()
    await writer.query(INSERT, [301, 1])
    const bookmark = writer.bookmark()
    assert.ok(bookmark !== undefined)
    const reader = client({ bookmark })
    assert.equal(await seen(reader, 301, 1), true, 'the bookmarked client reads the write')
    assert.equal(await seen(client().withBookmark(bookmark), 301, 1), true, 'withBookmark does the same')
    await writer.query(INSERT, [301, 2])
    const blind = client({ readYourWrites: false, bookmark: writer.bookmark() })
    // A replica 2 s behind may not even have the table yet (created when the topology started): that
    // is as stale as a missing row.
    const got = await seen(blind, 301, 2).catch((err: { code?: string }) => {
      if (err.code === '42P01') return false
      throw err
    })
    assert.equal(got, false, 'with read-your-writes off, the replica has not got it yet')
  })

  it('a write in transaction() is read by the next HTTP query of the same client', async () => {
    const db = client()
    for (let seq = 0; seq < 20; seq++) {
      await db.transaction((tx) => tx.query(INSERT, [302, seq]))
      assert.equal(await seen(db, 302, seq), true, `pair ${seq}`)
    }
  })
})
