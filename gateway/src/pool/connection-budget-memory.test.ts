import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectionBudget } from './connection-budget.js'
import type { ServerPool } from './server-pool.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { memoryPool } from './testing/memory-pool.js'
import { checkout, ProbeWaiter } from './testing/pool-probes.js'
import { until } from './testing/until.js'

const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

/** Two pools of two connections each over one fake server, sharing a budget of `limit`. */
function twoPools(limit: number): { a: ServerPool; b: ServerPool; budget: ConnectionBudget } {
  const cluster = new FakeCluster()
  const budget = new ConnectionBudget('max_db_connections of app on fake:5432', limit)
  const a = memoryPool({}, cluster).pool
  const b = memoryPool({}, cluster).pool
  a.shareBudgets([budget])
  b.shareBudgets([budget])
  opened.push(a, b)
  return { a, b, budget }
}

describe('ServerPool under a shared budget (max_db_connections, max_user_connections)', () => {
  it('a pool takes the place of an idle connection of another pool when the budget is full', async () => {
    const { a, b, budget } = twoPools(1)
    const first = await checkout(a)
    a.checkin(first, 'transaction')
    await until(() => a.idle.length === 1, 'idle in a')
    const fromB = await checkout(b)
    assert.ok(fromB, 'b got a connection')
    await until(() => a.all.size === 0, "a's idle connection was closed to make room")
    assert.equal(budget.used, 1)
  })

  it('a connection checked in while another pool waits for room closes and lets that pool open one', async () => {
    const { a, b, budget } = twoPools(1)
    const lent = await checkout(a)
    const waiter = new ProbeWaiter('b')
    b.checkout(waiter)
    await sleep(50)
    assert.equal(waiter.answered, false, 'the budget is full: b waits')
    assert.equal(b.all.size, 0)
    a.checkin(lent, 'transaction')
    await until(() => waiter.answered, 'b is served once a gives its connection up')
    assert.equal(waiter.error, undefined)
    assert.equal(a.all.size, 0, 'a closed its connection rather than keep it idle')
    assert.equal(budget.used, 1)
  })

  it('without pressure, pools keep their idle connections up to the limit', async () => {
    const { a, b, budget } = twoPools(2)
    a.checkin(await checkout(a), 'transaction')
    b.checkin(await checkout(b), 'transaction')
    await sleep(30)
    assert.deepEqual([a.idle.length, b.idle.length, budget.used], [1, 1, 2])
  })

  it('a waiting client is told once, after query_wait_notify, that it waits', async () => {
    const { pool } = memoryPool({ poolSize: 1, queryWaitNotify: 60 })
    opened.push(pool)
    const lent = await checkout(pool)
    const told: number[] = []
    const waiter = Object.assign(new ProbeWaiter('late'), {
      onCheckoutDelayed: (ms: number) => told.push(ms),
    })
    pool.checkout(waiter)
    await sleep(200)
    assert.equal(told.length, 1, 'one NOTICE per wait')
    assert.ok(told[0]! >= 60, `told after ${told[0]} ms`)
    pool.checkin(lent, 'transaction')
    await until(() => waiter.answered, 'served after the check-in')
  })
})
