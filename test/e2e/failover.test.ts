/**
 * Issue 19, acceptance 3 to 5: replicas and the primary taken away under load, and a failover to a
 * promoted replica. Each describe has a private topology (test/helpers/ha-topology.ts), since these
 * tests stop and promote servers, and a gateway in front of it with read/write splitting and health
 * checks configured as below.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import type { PgServer } from '../../infra/src/topology.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { HA_TABLE, type HaTopology, queryServer, useHaTopology } from '../helpers/ha-topology.js'
import { type Outcome, QueryLoad } from '../helpers/query-load.js'

/** The pool's name differs from the servers' database so an error naming the pool is told apart. */
const POOL = 'failover_db'
const BAN_TIME_S = 2
const HEALTHCHECK_INTERVAL_MS = 500
/** How late a recovery may be seen beyond ban_time + healthcheck_interval: a check and a query. */
const SLACK_MS = 750
const RECOVERY_BOUND_MS = BAN_TIME_S * 1000 + HEALTHCHECK_INTERVAL_MS + SLACK_MS

const READ = 'SELECT pg_is_in_recovery() AS in_recovery, inet_server_port() AS port'
const WRITE = `INSERT INTO ${HA_TABLE} (writer, seq) VALUES ($1, $2) RETURNING port`
/** SQLSTATEs a write may get when its shard has no primary: connection exceptions, cannot_connect_now. */
const NO_PRIMARY_CODES = ['08000', '08001', '08003', '08004', '08006', '57P03']

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A gateway in front of the private topology: shard 0 = [primary, replica1, replica2]. */
function startGateway(ha: HaTopology, primaryReads: boolean): Promise<TestGateway> {
  return startTestGateway({
    topology: ha.description,
    replicas: true,
    database: POOL,
    serverDatabase: ha.description.database,
    poolSize: 5,
    connectTimeout: 1000,
    queryWaitTimeout: 3000,
    general: [
      'healthcheck_delay = 200',
      'healthcheck_timeout = 500',
      `ban_time = ${BAN_TIME_S}`,
      `healthcheck_interval = ${HEALTHCHECK_INTERVAL_MS}`,
    ].join('\n'),
    pool: [
      'query_parser_enabled = true',
      'query_parser_read_write_splitting = true',
      `primary_reads_enabled = ${primaryReads}`,
      'default_role = "any"',
      'load_balancing_mode = "random"',
    ].join('\n'),
  })
}

const reads = (gw: TestGateway, clients: number) =>
  new QueryLoad({ url: gw.url('scram'), clients, statement: () => ({ text: READ }) })

const writes = (gw: TestGateway, clients: number, pauseMs = 20) =>
  new QueryLoad({
    url: gw.url('scram'),
    clients,
    pauseMs,
    statement: (writer, seq) => ({ text: WRITE, values: [writer, seq] }),
  })

const portOf = (o: Outcome) => Number(o.row?.port)

/** Which servers answered, by name, e.g. `{ replica1: 120, replica2: 118 }`. */
function answeredBy(outcomes: Outcome[], servers: PgServer[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    if (!o.ok) continue
    const name = servers.find((s) => s.port === portOf(o))?.name ?? `port ${portOf(o)}`
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

function errorsByClient(outcomes: Outcome[]): Map<number, Outcome[]> {
  const byClient = new Map<number, Outcome[]>()
  for (const o of outcomes.filter((x) => !x.ok))
    byClient.set(o.client, [...(byClient.get(o.client) ?? []), o])
  return byClient
}

const brief = (o: Outcome) =>
  `client ${o.client} sent at ${o.sentAt} ms: ${o.code ?? 'no SQLSTATE'} ${o.message ?? ''}`

/** Polls until `load` has a success matching `match` sent at or after `since`, or the deadline passes. */
async function firstSuccess(
  load: QueryLoad,
  since: number,
  match: (o: Outcome) => boolean,
  timeoutMs: number,
): Promise<Outcome | undefined> {
  const deadline = load.now() + timeoutMs
  for (;;) {
    const hit = load.successes().find((o) => o.sentAt >= since && match(o))
    if (hit || load.now() > deadline) return hit
    await sleep(25)
  }
}

describe('acceptance 3: one replica stops under a read load of 20 clients', () => {
  const ha = useHaTopology()
  let gw: TestGateway
  before(async () => {
    gw = await startGateway(ha(), false)
  })
  after(() => gw?.stop())

  it('at most one error per client and none after the ban; the restarted replica takes reads within ban_time + healthcheck_interval', async (t) => {
    const { topo } = ha()
    const [r1, r2] = topo.replicas as [PgServer, PgServer]
    const all = [topo.primary, r1, r2]
    const load = reads(gw, 20)
    await sleep(1500)
    const stoppedAt = load.now()
    await topo.stop(r1, 'immediate')
    await sleep(1000)
    await topo.start(r1)
    const backAt = load.now()
    const back = await firstSuccess(load, backAt, (o) => portOf(o) === r1.port, RECOVERY_BOUND_MS)
    await sleep(Math.max(0, 10_000 - load.now()))
    const outcomes = await load.stop()

    const errors = outcomes.filter((o) => !o.ok)
    const bannedAt = Math.min(...errors.map((o) => o.doneAt))
    t.diagnostic(
      `stop at ${stoppedAt} ms, first error (ban) at ${errors.length ? bannedAt : '-'} ms, ` +
        `replica1 restarted at ${backAt} ms, answered again at ${back?.doneAt ?? '-'} ms; ` +
        `${outcomes.length} reads, ${errors.length} errors; answered by ${JSON.stringify(answeredBy(outcomes, all))}`,
    )
    const before = outcomes.filter((o) => o.doneAt < stoppedAt)
    assert.deepEqual(Object.keys(answeredBy(before, all)).sort(), ['replica1', 'replica2'])
    // A read sent a moment before the stop may still be running when the replica dies: what matters is
    // that no error came back before the stop (and, below, that a client sees at most one).
    assert.deepEqual(errors.filter((o) => o.doneAt < stoppedAt).map(brief), [], 'no error before the stop')
    for (const [client, own] of errorsByClient(outcomes)) {
      assert.ok(own.length <= 1, `client ${client} saw ${own.length} errors: ${own.map(brief).join('; ')}`)
    }
    const late = errors.filter((o) => o.sentAt > bannedAt)
    assert.deepEqual(late.map(brief), [], 'no statement sent after the ban fails')
    const notReplica = outcomes.filter((o) => o.ok && o.row?.in_recovery !== true)
    assert.equal(notReplica.length, 0, 'reads go to the replicas only (primary_reads_enabled = false)')
    assert.ok(back, `replica1 answered no read within ${RECOVERY_BOUND_MS} ms of its restart`)
    assert.ok(back.doneAt - backAt <= RECOVERY_BOUND_MS)
  })
})

describe('acceptance 4: every replica stopped, then the primary', () => {
  const ha = useHaTopology()
  let gw: TestGateway
  before(async () => {
    // primary_reads_enabled = false: the primary serves reads only because no replica is left.
    gw = await startGateway(ha(), false)
  })
  after(() => gw?.stop())

  it('both replicas stopped: reads continue on the primary', async (t) => {
    const { topo } = ha()
    const load = reads(gw, 10)
    await sleep(1000)
    const stoppedAt = load.now()
    await Promise.all(topo.replicas.map((r) => topo.stop(r, 'immediate')))
    await sleep(1000)
    const windowFrom = load.now()
    await sleep(1500)
    const windowTo = load.now()
    const outcomes = await load.stop()

    const window = outcomes.filter((o) => o.sentAt >= windowFrom && o.sentAt < windowTo)
    t.diagnostic(
      `replicas stopped at ${stoppedAt} ms; ${outcomes.filter((o) => !o.ok).length} errors; ` +
        `window ${windowFrom}-${windowTo} ms answered by ${JSON.stringify(answeredBy(window, [topo.primary]))}`,
    )
    assert.ok(window.length > 0)
    assert.deepEqual(window.filter((o) => !o.ok).map(brief), [], 'every read after the bans succeeds')
    assert.ok(window.every((o) => portOf(o) === topo.primary.port && o.row?.in_recovery === false))
    for (const [client, own] of errorsByClient(outcomes)) {
      assert.ok(own.length <= 2, `client ${client} saw ${own.length} errors (one per replica at most)`)
    }
  })

  it('replicas started again take the reads back within ban_time + healthcheck_interval', async (t) => {
    const { topo } = ha()
    await Promise.all(topo.replicas.map((r) => topo.start(r)))
    const load = reads(gw, 10)
    const seen = await Promise.all(
      topo.replicas.map((r) => firstSuccess(load, 0, (o) => portOf(o) === r.port, RECOVERY_BOUND_MS)),
    )
    await load.stop()
    t.diagnostic(`first read per replica at ${seen.map((o) => o?.doneAt ?? '-').join(', ')} ms`)
    assert.ok(
      seen.every((o) => o !== undefined),
      'each replica answers a read again',
    )
  })

  it('primary stopped: writes fail naming the pool and shard 0 with a connection SQLSTATE; replica reads continue', async (t) => {
    const { topo } = ha()
    const readers = reads(gw, 10)
    const writers = writes(gw, 2, 100)
    await sleep(500)
    const stoppedAt = readers.now()
    await topo.stop(topo.primary, 'immediate')
    const goneAt = writers.now()
    await sleep(2000)
    const readOutcomes = await readers.stop()
    const writeOutcomes = await writers.stop()

    // A write already on its way when the primary died may get the server's own 57P01; later ones
    // are the gateway's answer that shard 0 has no primary.
    const later = writeOutcomes.filter((o) => o.sentAt >= goneAt + 200)
    const [sample] = later
    t.diagnostic(`primary stopped at ${stoppedAt} ms; a later write got: ${sample && brief(sample)}`)
    assert.ok(later.length > 0)
    for (const o of later) {
      assert.equal(o.ok, false, `a write sent at ${o.sentAt} ms succeeded on port ${portOf(o)}`)
      assert.ok(o.code !== undefined, `the write error has a SQLSTATE: ${brief(o)}`)
      assert.ok(NO_PRIMARY_CODES.includes(o.code), `SQLSTATE ${o.code} is one of ${NO_PRIMARY_CODES}`)
      assert.match(o.message ?? '', new RegExp(`\\b${POOL}\\b`), 'the error names the pool')
      assert.match(o.message ?? '', /\bshard 0\b/, 'the error names the shard')
    }
    const afterStop = readOutcomes.filter((o) => o.sentAt >= stoppedAt)
    assert.ok(afterStop.length > 0)
    assert.deepEqual(afterStop.filter((o) => !o.ok).map(brief), [], 'reads on the replicas continue')
    assert.ok(afterStop.every((o) => o.row?.in_recovery === true))
  })

  it('primary started again: writes succeed within ban_time + healthcheck_interval', async (t) => {
    const { topo } = ha()
    await topo.start(topo.primary)
    const writers = writes(gw, 2, 50)
    const ok = await firstSuccess(writers, 0, (o) => portOf(o) === topo.primary.port, RECOVERY_BOUND_MS)
    await writers.stop()
    t.diagnostic(`first write after the restart answered at ${ok?.doneAt ?? '-'} ms`)
    assert.ok(ok, `no write succeeded within ${RECOVERY_BOUND_MS} ms of the primary's restart`)
  })
})

describe('acceptance 5: failover to a promoted replica', () => {
  const ha = useHaTopology()
  let gw: TestGateway
  before(async () => {
    gw = await startGateway(ha(), false)
  })
  after(() => gw?.stop())

  it('writes reach the promoted replica within ban_time + healthcheck_interval and never a server in recovery', async (t) => {
    const h = ha()
    const { topo } = h
    const [r1, r2] = topo.replicas as [PgServer, PgServer]
    const oldPrimary = topo.primary
    const load = writes(gw, 4)
    await sleep(1000)
    const stoppedAt = load.now()
    // fast: the replicas receive all of the primary's WAL, so every acknowledged write survives.
    await topo.stop(oldPrimary, 'fast')
    // A write sent before the stop reached the postmaster may still commit there.
    const goneAt = load.now()
    await topo.promote(r1)
    const promotedAt = load.now()
    const first = await firstSuccess(load, goneAt, () => true, RECOVERY_BOUND_MS)
    await sleep(1000)
    const outcomes = await load.stop()

    const acked = outcomes.filter((o) => o.ok)
    const failed = outcomes.filter((o) => !o.ok)
    t.diagnostic(
      `primary stopping at ${stoppedAt} ms, gone at ${goneAt} ms, replica1 promoted at ${promotedAt} ms, first write after at ` +
        `${first?.doneAt ?? '-'} ms; ${acked.length} writes acknowledged, ${failed.length} failed ` +
        `(${[...new Set(failed.map((o) => o.code ?? 'none'))].join(', ')}); ` +
        `answered by ${JSON.stringify(answeredBy(outcomes, [oldPrimary, r1, r2]))}`,
    )
    assert.deepEqual(
      failed.filter((o) => o.code === '25006').map(brief),
      [],
      'no write reached a server in recovery (25006 read_only_sql_transaction)',
    )
    assert.ok(first, `no write succeeded within ${RECOVERY_BOUND_MS} ms of the promotion`)
    assert.equal(portOf(first), r1.port, 'the first write after the failover ran on the promoted server')
    assert.ok(first.doneAt - promotedAt <= RECOVERY_BOUND_MS)
    const afterStop = acked.filter((o) => o.sentAt >= goneAt)
    assert.ok(
      afterStop.every((o) => portOf(o) === r1.port),
      'every later write ran on the promoted server',
    )
    assert.ok(acked.every((o) => portOf(o) === oldPrimary.port || portOf(o) === r1.port))

    // The table on the promoted server has every acknowledged write, on the old primary or on it.
    const rows = await queryServer(h, r1, `SELECT writer, seq, port FROM ${HA_TABLE}`)
    const stored = new Map(rows.map((r) => [`${r.writer}/${r.seq}`, Number(r.port)]))
    const missing = acked.filter((o) => stored.get(`${o.client}/${o.seq}`) !== portOf(o))
    assert.deepEqual(missing.map(brief), [], 'every acknowledged write is in the table, from its server')
    assert.ok(rows.every((r) => r.port === oldPrimary.port || r.port === r1.port))
    const [standby] = await queryServer(h, r2, 'SELECT pg_is_in_recovery() AS in_recovery')
    assert.equal(standby?.in_recovery, true, 'replica2 is still a standby (of the old primary)')
  })

  it('LISTEN in transaction mode follows the promoted primary: a NOTIFY through Skiff reaches the listener', async () => {
    // The pool's one LISTEN connection (transaction mode) must open where the primary is now: the
    // configured primary is stopped.
    const listener = new pg.Client(gw.url('scram'))
    const notifier = new pg.Client(gw.url('scram'))
    await Promise.all([listener.connect(), notifier.connect()])
    try {
      const got = new Promise<string>((resolve) =>
        listener.on('notification', (n) => resolve(n.payload ?? '')),
      )
      await listener.query('LISTEN after_failover')
      await notifier.query("NOTIFY after_failover, 'hello'")
      // Notifications are delivered between the listener's transactions: give it one to end.
      const payload = await Promise.race([
        got,
        sleep(3000).then(() => listener.query('select 1').then(() => got)),
      ])
      assert.equal(payload, 'hello')
    } finally {
      await Promise.all([listener.end(), notifier.end()])
    }
  })
})
