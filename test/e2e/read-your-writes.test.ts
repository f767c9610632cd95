/**
 * Issue 19, acceptance 6: read-your-writes with both replicas applying WAL 2 s late
 * (`recovery_min_apply_delay = '2s'`). Over TCP (the session keeps its last commit's position) and over
 * HTTP (the position travels in `Skiff-Lsn`), every read right after the same client's write sees the
 * write, while reads of clients that did not write still go to the replicas, and the writer's own reads
 * go back to the replicas once they have replayed its writes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { HA_TABLE, useHaTopology } from '../helpers/ha-topology.js'

const PAIRS = 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('acceptance 6: read-your-writes with replicas 2 s behind', () => {
  const ha = useHaTopology({ replicaSettings: { recovery_min_apply_delay: "'2s'" } })
  let gw: TestGateway
  let ports: { primary: number; replicas: number[] }
  before(async () => {
    const d = ha().description
    ports = { primary: d.primary.port, replicas: d.replicas.map((r) => r.port) }
    gw = await startTestGateway({
      topology: d,
      replicas: true,
      poolSize: 8,
      general: 'healthcheck_interval = 200',
      pool: [
        'query_parser_enabled = true',
        'query_parser_read_write_splitting = true',
        'primary_reads_enabled = false',
        'read_your_writes = true',
      ].join('\n'),
      http: 'request_timeout = 10000',
    })
  })
  after(() => gw?.stop())

  it(`TCP: ${PAIRS} write→read pairs over 4 clients, zero stale; a client that did not write reads on replicas`, async () => {
    const writers = await Promise.all([1, 2, 3, 4].map(() => connect(gw)))
    const bystander = await connect(gw)
    const bystanderPorts = new Set<number>()
    let stale = 0
    const perClient = PAIRS / writers.length
    await Promise.all(
      writers.map(async (c, w) => {
        for (let seq = 0; seq < perClient; seq++) {
          await c.query(`insert into ${HA_TABLE} (writer, seq) values ($1, $2)`, [100 + w, seq])
          const r = await c.query(
            `select count(*)::int as n from ${HA_TABLE} where writer = $1 and seq = $2`,
            [100 + w, seq],
          )
          if (r.rows[0].n !== 1) stale++
          if (seq % 25 === 0) bystanderPorts.add(await portOf(bystander))
        }
      }),
    )
    assert.equal(stale, 0, 'every read saw the same client’s write')
    assert.ok(
      [...bystanderPorts].every((p) => ports.replicas.includes(p)),
      `the bystander's reads stayed on the replicas: ${[...bystanderPorts]}`,
    )
    // Once the replicas have replayed the writes (2 s delay, then a monitor reading), the writer's
    // reads go back to them.
    await sleep(2600)
    assert.ok(ports.replicas.includes(await portOf(writers[0]!)), 'the writer reads on a replica again')
    for (const c of [...writers, bystander]) await c.end()
  })

  it(`HTTP: ${PAIRS} write→read pairs carrying Skiff-Lsn, zero stale; without it a read goes to a replica`, async () => {
    let stale = 0
    let lastLsn = ''
    const lanes = 8
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let seq = 0; seq < PAIRS / lanes; seq++) {
          const write = await post(gw, `insert into ${HA_TABLE} (writer, seq) values ($1, $2)`, [
            200 + lane,
            seq,
          ])
          const lsn = write.headers.get('skiff-lsn')
          assert.match(lsn ?? '', /^[0-9A-F]+\/[0-9A-F]+$/, 'a write returns its position')
          lastLsn = lsn!
          const read = await post(
            gw,
            `select count(*)::int as n from ${HA_TABLE} where writer = $1 and seq = $2`,
            [200 + lane, seq],
            { 'Skiff-Lsn': lsn! },
          )
          if ((read.body as { rows: { n: number }[] }).rows[0]!.n !== 1) stale++
        }
      }),
    )
    assert.equal(stale, 0, 'every read carrying Skiff-Lsn saw the write')
    const plain = await post(gw, 'select inet_server_port() as port')
    assert.ok(ports.replicas.includes(Number((plain.body as { rows: { port: number }[] }).rows[0]!.port)))
    const bad = await post(gw, 'select 1', [], { 'Skiff-Lsn': 'yesterday' })
    assert.equal(bad.status, 400)
    assert.ok(lastLsn !== '')
  })
})

async function connect(gw: TestGateway): Promise<pg.Client> {
  const c = new pg.Client(gw.url())
  await c.connect()
  return c
}

async function portOf(c: pg.Client): Promise<number> {
  return Number((await c.query('select inet_server_port() as port')).rows[0].port)
}

async function post(
  gw: TestGateway,
  query: string,
  params: unknown[] = [],
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
    method: 'POST',
    headers: { 'Neon-Connection-String': gw.url(), 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, params }),
  })
  return { status: res.status, headers: res.headers, body: await res.json() }
}
