import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseLsn } from './lsn.js'
import {
  bytesBehind,
  type FreshnessLimits,
  type FreshnessSource,
  freshReplicas,
  maxReadingAge,
  staleness,
} from './replica-freshness.js'
import type { ReplicationReading } from './replication-reading.js'
import type { ServerAddress } from './server-address.js'
import { ServerHealth } from './server-health.js'

const NOW = 1_000_000

/** A server with a configured role and, if given, a reading (which sets its health's role too). */
function server(
  name: string,
  role: 'primary' | 'replica',
  reading?: Partial<ReplicationReading>,
): FreshnessSource & { name: string } {
  const address: ServerAddress = { host: name, port: 5432, role, database: 'app', shard: 0 }
  const health = new ServerHealth(name, 0)
  const full =
    reading === undefined
      ? undefined
      : { inRecovery: role === 'replica', lsn: 0n, lagMs: 0, at: NOW, ...reading }
  if (full !== undefined) health.recordCheck({ ok: true, inRecovery: full.inRecovery }, full.at)
  return { name, address, health, monitor: { reading: full, options: { intervalMs: 1000, timeoutMs: 500 } } }
}

const names = (pools: ReadonlyArray<{ name: string }>) => pools.map((p) => p.name)
const lsn = (text: string) => parseLsn(text)!

describe('freshReplicas', () => {
  const caughtUp = server('caught-up', 'replica', { lsn: lsn('0/3001330'), lagMs: 0 })
  const delayed = server('delayed', 'replica', { lsn: lsn('0/3001308'), lagMs: 2016 })
  const unread = server('unread', 'replica')
  const unknownLag = server('unknown-lag', 'replica', { lsn: lsn('0/3001330'), lagMs: undefined })
  const all = [caughtUp, delayed, unread, unknownLag]
  const limits = (more: Partial<FreshnessLimits>): FreshnessLimits => ({ now: NOW, ...more })

  it('no limit: every server, unread ones too, in order', () => {
    assert.deepEqual(names(freshReplicas(all, limits({}))), names(all))
  })

  it("minLsn: only replicas that replayed the client's commit; unread and unknown-lag ones judged by LSN", () => {
    // The primary's insert LSN after the commit was 0/3001330; the delayed standby holds it back.
    const fresh = freshReplicas(all, limits({ minLsn: lsn('0/3001330') }))
    assert.deepEqual(names(fresh), ['caught-up', 'unknown-lag'])
    assert.equal(
      staleness(delayed, limits({ minLsn: lsn('0/3001330') })),
      "has not replayed the client's writes",
    )
    assert.equal(staleness(unread, limits({ minLsn: 0n })), 'no reading yet')
  })

  it('minLsn at a segment start: a standby at the boundary has it (the insert LSN is past the page header)', () => {
    const idle = server('idle', 'replica', { lsn: lsn('0/3000000') })
    assert.deepEqual(names(freshReplicas([idle], limits({ minLsn: lsn('0/3000028') }))), ['idle'])
    assert.deepEqual(names(freshReplicas([idle], limits({ minLsn: lsn('0/3000068') }))), [])
  })

  it('maxLagMs: the last reading lag, not aged while the reading is current; unknown lag is not fresh', () => {
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagMs: 1000 }))), ['caught-up'])
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagMs: 5000 }))), ['caught-up', 'delayed'])
    // A limit below the interval (1 s) keeps a caught-up replica to the end of its reading's life.
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagMs: 100, now: NOW + 2500 }))), ['caught-up'])
    assert.equal(staleness(delayed, limits({ maxLagMs: 2000 })), 'lags 2016 ms (max 2000)')
    assert.equal(staleness(unknownLag, limits({ maxLagMs: 5000 })), 'lag unknown')
  })

  it('maxLagMs: a reading older than two intervals and a timeout gives no lag (the monitor stopped getting through)', () => {
    const late = limits({ maxLagMs: 5000, now: NOW + 2501 })
    assert.deepEqual(names(freshReplicas(all, late)), [])
    assert.equal(staleness(caughtUp, late), 'last reading 2501 ms old')
    const old = limits({ minLsn: lsn('0/3001330'), now: NOW + 60_000 })
    assert.deepEqual(names(freshReplicas(all, old)), ['caught-up', 'unknown-lag'], 'a replay LSN stays true')
  })

  it('maxLagBytes: from the primary LSN; not applied without one', () => {
    const primaryLsn = lsn('0/3001330')
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagBytes: 0, primaryLsn }))), [
      'caught-up',
      'unknown-lag',
    ])
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagBytes: 64, primaryLsn }))), [
      'caught-up',
      'delayed',
      'unknown-lag',
    ])
    assert.deepEqual(names(freshReplicas(all, limits({ maxLagBytes: 0 }))), [
      'caught-up',
      'delayed',
      'unknown-lag',
    ])
  })

  it('a primary (by its reading or, unread, by its role) is always fresh', () => {
    const primary = server('primary', 'primary')
    const promoted = server('promoted', 'replica', { inRecovery: false, lsn: 0n, lagMs: 0 })
    const strict = limits({ minLsn: lsn('F/0'), maxLagMs: 0, maxLagBytes: 0, primaryLsn: lsn('F/0') })
    assert.deepEqual(names(freshReplicas([primary, promoted, caughtUp], strict)), ['primary', 'promoted'])
  })

  it('limits combine: every one must hold', () => {
    const l = limits({ minLsn: lsn('0/3001300'), maxLagMs: 1000 })
    assert.deepEqual(names(freshReplicas(all, l)), ['caught-up'])
  })
})

describe('lag and distance helpers', () => {
  it('maxReadingAge: two intervals and a timeout', () => {
    assert.equal(maxReadingAge({ intervalMs: 2000, timeoutMs: 1000 }), 5000)
  })

  it('bytesBehind: from the replay LSN the insert LSN needs; 0 when ahead', () => {
    assert.equal(bytesBehind(lsn('0/3000000'), lsn('0/3000028')), 0)
    assert.equal(bytesBehind(lsn('0/3001308'), lsn('0/3001330')), 0x28 - 24)
    assert.equal(bytesBehind(lsn('0/3001330'), lsn('0/3001308')), 0)
    assert.equal(bytesBehind(lsn('0/0'), lsn('1/18')), 2 ** 32)
  })
})
