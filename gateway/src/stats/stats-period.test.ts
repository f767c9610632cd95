/** The averages of SHOW STATS: rates over the last completed period, zeros before one ended. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PoolCounters } from './counters.js'
import { StatsPeriod } from './stats-period.js'

describe('stats period', () => {
  it('averages the last period: counts and bytes per second, times per event', () => {
    const c = new PoolCounters()
    const p = new StatsPeriod(() => [['pool', Object.assign(new PoolCounters(), c)]], 10_000)
    p.snapshot(0)
    assert.equal(p.averages('pool').xactCount, 0, 'no period has ended')
    c.xactCount = 100
    c.queryCount = 300
    c.bytesSent = 10_000
    c.xactTimeMicros = 500_000
    c.queryTimeMicros = 600_000
    c.checkouts = 100
    c.waitTimeMicros = 2_000
    c.errors = 10
    c.checkoutErrors = 10
    p.snapshot(10_000)
    const a = p.averages('pool')
    assert.deepEqual(a, {
      xactCount: 10,
      queryCount: 30,
      received: 0,
      sent: 1000,
      errors: 2,
      serverAssignments: 10,
      xactTime: 5000,
      queryTime: 2000,
      waitTime: 20,
    })
    p.snapshot(20_000) // nothing happened in the next period
    assert.equal(p.averages('pool').xactCount, 0)
    assert.equal(p.averages('gone').xactCount, 0)
  })
})
