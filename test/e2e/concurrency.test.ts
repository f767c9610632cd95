import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connectMany, pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const CLIENTS = 200
const POOL_SIZE = 10
const TRANSACTIONS_EACH = 5

describe(`${CLIENTS} concurrent clients over a pool of ${POOL_SIZE}`, () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolMode: 'transaction', poolSize: POOL_SIZE, queryWaitTimeout: 60_000 })
  })
  after(() => gw.stop())

  it('all complete their transactions and Postgres never sees more than pool_size backends', async () => {
    const user = topology().users.md5.username
    await using admin = await pgClient(directUrl())
    await admin.query('create table if not exists concurrency_test (client int, n int)')
    await admin.query('truncate concurrency_test')
    await admin.query(`grant all on concurrency_test to ${user}`)
    let maxBackends = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const r = await admin.query('select count(*)::int as n from pg_stat_activity where usename = $1', [
          user,
        ])
        maxBackends = Math.max(maxBackends, r.rows[0].n)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const clients = await connectMany(gw.url('md5'), CLIENTS)
    try {
      await Promise.all(
        clients.map(async (c, i) => {
          for (let n = 0; n < TRANSACTIONS_EACH; n++) {
            await c.query('begin')
            await c.query('insert into concurrency_test values ($1, $2)', [i, n])
            await c.query('select pg_sleep(0.001)')
            await c.query('commit')
          }
        }),
      )
    } finally {
      sampling = false
      await sampler
      await Promise.all(clients.map((c) => c.end()))
    }
    const r = await admin.query(
      'select count(*)::int as rows, count(distinct client)::int as clients from concurrency_test',
    )
    assert.deepEqual(r.rows[0], { rows: CLIENTS * TRANSACTIONS_EACH, clients: CLIENTS })
    assert.ok(maxBackends > 0, 'the sampler saw the pool working')
    assert.ok(maxBackends <= POOL_SIZE, `saw ${maxBackends} backends for a pool of ${POOL_SIZE}`)
  })
})
