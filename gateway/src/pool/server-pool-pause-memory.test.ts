import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { PauseControl } from './pause-control.js'
import type { ServerPool } from './server-pool.js'
import { memoryPool } from './testing/memory-pool.js'
import { checkout, ProbeWaiter } from './testing/pool-probes.js'
import { until } from './testing/until.js'
import { UserPool } from './user-pool.js'

const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

function pool(): ServerPool {
  const made = memoryPool()
  opened.push(made.pool)
  return made.pool
}

function userPool(database: string, sp: ServerPool): UserPool {
  const credential = { username: 'alice', password: 'secret' }
  return new UserPool(database, 'alice', 'transaction', 'scram-sha-256', credential, [[sp]], 0, 0)
}

describe('ServerPool: PAUSE, RESUME and retirement by a reload', () => {
  it('holds checkouts while paused, without a timeout, and lends them in order at RESUME', async () => {
    const p = pool()
    const first = await checkout(p)
    p.checkin(first, 'transaction')
    p.pause()
    const order: string[] = []
    const a = new ProbeWaiter('a', order)
    const b = new ProbeWaiter('b', order)
    p.checkout(a)
    p.checkout(b)
    await sleep(50)
    assert.equal(a.answered || b.answered, false, 'held although a connection is idle')
    assert.equal(p.waiting, 2, 'held clients count as waiting (cl_waiting)')
    p.resume()
    await until(() => a.answered && b.answered, 'both lent after RESUME')
    assert.deepEqual(order, ['a', 'b'])
  })

  it('a client that leaves while held is forgotten', async () => {
    const p = pool()
    p.pause()
    const gone = new ProbeWaiter('gone')
    p.checkout(gone)
    p.cancelCheckout(gone)
    assert.equal(p.waiting, 0)
    p.resume()
    await sleep(30)
    assert.equal(gone.answered, false)
  })

  it('PauseControl.pause resolves only once the lent connection is back', async () => {
    const p = pool()
    const pools = [userPool('app', p)]
    const lent = await checkout(p)
    const control = new PauseControl()
    let paused = false
    const pausing = control.pause(() => pools, 'app').then(() => (paused = true))
    await sleep(80)
    assert.equal(paused, false, 'a transaction is still in flight')
    assert.equal(control.isPaused('app'), true)
    p.checkin(lent, 'transaction')
    await pausing
    assert.equal(control.isPaused(), false, 'only app is paused, not every database')
    control.resume(pools, 'app')
    assert.equal(p.paused, false)
  })

  it('PAUSE of every database reaches databases by name, RESUME of one leaves the others paused', () => {
    const control = new PauseControl()
    const pools = [userPool('one', pool()), userPool('two', pool())]
    void control.pause(() => pools)
    control.resume(pools, 'one')
    assert.deepEqual(
      pools.map((u) => [...u.serverPools()][0]!.paused),
      [false, true],
    )
    assert.equal(control.isPaused('three'), true, 'a database a reload adds later starts paused')
    control.resume(pools)
    assert.equal(control.isPaused('two'), false)
  })

  it('a retired pool serves its queued clients, then closes connections at check-in', async () => {
    const p = pool()
    const one = await checkout(p)
    const two = await checkout(p)
    const queued = new ProbeWaiter('queued')
    p.checkout(queued)
    p.retire()
    assert.equal(p.drained, false)
    p.checkin(one, 'transaction')
    await until(() => queued.answered, 'the queued client is served by the retired pool')
    p.checkin(two, 'transaction')
    p.checkin(queued.server!, 'transaction')
    await until(() => p.drained, 'every connection closed')
    assert.equal(p.idle.length, 0)
  })
})
