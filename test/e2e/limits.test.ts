/**
 * Connection limits and waits (issue 21): max_db_connections and max_user_connections cap the server
 * connections Postgres sees while every client is still served; transaction_timeout ends a transaction
 * that lasts too long with FATAL 25P04 and rolls it back; query_wait_notify tells a queued client
 * with a NOTICE that it waits.
 * @module
 */
import assert from 'node:assert/strict'
import { afterEach, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const DB = 'skiff_limits'

/** Highest number of server connections to DB Postgres showed while `work` ran (sampled). */
async function peakConnections(work: Promise<unknown>, usename?: string): Promise<number> {
  await using watch = await pgClient(directUrl())
  let peak = 0
  let done = false
  void work.finally(() => (done = true)).catch(() => {})
  while (!done) {
    const r = await watch.query(
      "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and datname = $1 and ($2::text is null or usename = $2)",
      [DB, usename ?? null],
    )
    peak = Math.max(peak, r.rows[0].n as number)
    await sleep(20)
  }
  await work
  return peak
}

/** `n` clients of `urls` (in turn), each running `sql` twice. */
function clients(urls: string[], n: number, sql: string): Promise<unknown> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await using c = await pgClient(urls[i % urls.length]!)
      await c.query(sql)
      await c.query(sql)
    }),
  )
}

describe('connection limits', () => {
  const gateways: TestGateway[] = []
  const start = async (o: Parameters<typeof startTestGateway>[0]) => {
    const gw = await startTestGateway({ database: DB, ...o })
    gateways.push(gw)
    return gw
  }

  before(async () => {
    await using su = await pgClient(directUrl())
    await su.query(`drop database if exists ${DB} with (force)`)
    await su.query(`create database ${DB} owner ${topology().users.scram.username}`)
    await su.query(`grant all on database ${DB} to public`)
    await using db = await pgClient(directUrl(DB))
    await db.query('create table limit_rows (v int)')
    await db.query('grant all on limit_rows to public')
  })

  // Each test's gateway closes with it: its idle connections would count in the next test's peak.
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.stop()
  })

  it('max_db_connections caps the connections of all users of a database; every client is served', async () => {
    const gw = await start({ poolSize: 5, general: 'max_db_connections = 2' })
    const work = clients([gw.url('scram'), gw.url('md5')], 8, 'select pg_sleep(0.1)')
    const peak = await peakConnections(work)
    assert.ok(peak <= 2, `Postgres saw ${peak} connections to ${DB} (max_db_connections = 2)`)
    assert.ok(peak >= 1)
  })

  it('max_user_connections caps the server connections of one user', async () => {
    const gw = await start({ poolSize: 5, general: 'max_user_connections = 2' })
    const user = topology().users.scram.username
    const work = clients([gw.url('scram')], 6, 'select pg_sleep(0.1)')
    const peak = await peakConnections(work, user)
    assert.ok(peak <= 2, `Postgres saw ${peak} connections of ${user} (max_user_connections = 2)`)
  })

  it('without a limit the same load opens more connections (the caps above are not a coincidence)', async () => {
    const gw = await start({ poolSize: 5 })
    const peak = await peakConnections(clients([gw.url('scram'), gw.url('md5')], 8, 'select pg_sleep(0.1)'))
    assert.ok(peak > 2, `${peak} connections without a limit`)
  })

  it('transaction_timeout ends a long transaction with FATAL 25P04 and rolls it back', async () => {
    const gw = await start({ general: 'transaction_timeout = 400' })
    const c = new pg.Client(gw.url())
    await c.connect()
    const closed = new Promise<Error & { code?: string }>((resolve) => c.on('error', resolve))
    await c.query('begin')
    await c.query('insert into limit_rows values (1)')
    const err = await c.query('select pg_sleep(2)').catch((e: Error & { code?: string }) => e)
    assert.equal((err as { code?: string }).code ?? (await closed).code, '25P04')
    await using check = await pgClient(directUrl(DB))
    assert.equal((await check.query('select count(*)::int as n from limit_rows')).rows[0].n, 0, 'rolled back')
    // Quick transactions are untouched, and the gateway serves others.
    await using quick = await pgClient(gw.url())
    for (let i = 0; i < 3; i++) {
      await quick.query('begin')
      await quick.query('select pg_sleep(0.2)')
      await quick.query('commit')
    }
    await c.end().catch(() => {})
  })

  it('query_wait_notify sends a NOTICE to a client queued for a server, then serves it', async () => {
    const gw = await start({ poolSize: 1, general: 'query_wait_notify = 200' })
    await using holder = await pgClient(gw.url())
    await holder.query('begin')
    await holder.query('select 1')
    await using queued = await pgClient(gw.url())
    const notices: Array<{ message?: string; severity?: string }> = []
    queued.on('notice', (n) => notices.push(n))
    const answer = queued.query('select 7 as v')
    await sleep(500)
    assert.equal(notices.length, 1, 'one NOTICE for one wait')
    assert.equal(notices[0]!.severity, 'NOTICE')
    assert.match(notices[0]!.message ?? '', /waiting for a server connection/)
    await holder.query('commit')
    assert.equal((await answer).rows[0].v, 7)
  })
})
