import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setLogFormat } from '../log.js'
import { effectiveRole, healthyCandidates, readCandidates, writeCandidate } from './health-candidates.js'
import type { ServerAddress } from './server-address.js'
import { ServerHealth } from './server-health.js'
import { ServerPool } from './server-pool.js'
import { MEMORY_LOGIN, MEMORY_POOL_SETTINGS } from './testing/memory-pool.js'

/** Log records written while `fn` runs, as JSON (still written through). */
function logged(fn: () => void): Record<string, unknown>[] {
  const write = process.stderr.write
  setLogFormat('json')
  let text = ''
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    text += String(chunk)
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest)
  }) as typeof process.stderr.write
  try {
    fn()
  } finally {
    process.stderr.write = write
    setLogFormat('auto')
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
}

/** A record's level, message and reason. */
function pick(record: Record<string, unknown>): unknown[] {
  return [record.level, record.msg, record.reason]
}

describe('ServerHealth: bans and their lifting, without a clock', () => {
  it('a ban lasts ban_time from when it began, then lifts when next asked about; both are logged', () => {
    const h = new ServerHealth('app/alice -> fake:5432', 1000)
    assert.equal(h.banned(0), false)
    const atBan = logged(() => h.ban('connect failed: refused', 5000))
    assert.equal(atBan.length, 1)
    assert.deepEqual(pick(atBan[0]!), ['warn', 'server banned', 'connect failed: refused'])
    assert.equal(h.bans, 1)
    assert.equal(h.bannedUntil, 6000)
    assert.equal(h.banned(5999), true)
    const atLift = logged(() => assert.equal(h.banned(6000), false))
    assert.equal(atLift.length, 1)
    assert.deepEqual(pick(atLift[0]!), ['info', 'server ban lifted', 'connect failed: refused'])
    assert.equal(h.bannedUntil, 0)
    assert.deepEqual(
      logged(() => h.banned(7000)),
      [],
      'the lift is logged once',
    )
  })

  it('a ban while banned extends it without counting or logging it again', () => {
    const h = new ServerHealth('s', 1000)
    h.ban('first', 0)
    assert.deepEqual(
      logged(() => h.ban('second', 500)),
      [],
    )
    assert.equal(h.bans, 1)
    assert.equal(h.banReason, 'first')
    assert.equal(h.banned(1200), true, 'extended to 1500')
    assert.equal(h.banned(1500), false)
    h.ban('again', 2000)
    assert.equal(h.bans, 2, 'a ban after the lift counts')
  })

  it('ban_time 0 turns bans off', () => {
    const h = new ServerHealth('s', 0)
    h.ban('connect failed', 0)
    assert.equal(h.banned(0), false)
    assert.equal(h.bans, 0)
  })

  it('a check is owed after a ban, and a passing check pays it and records the role', () => {
    const h = new ServerHealth('s', 1000)
    assert.equal(h.checkOwed, false)
    h.ban('x', 0)
    h.banned(1000)
    assert.equal(h.checkOwed, true, 'still owed once lifted')
    h.recordCheck({ ok: true, inRecovery: true }, 1100)
    assert.equal(h.checkOwed, false)
    assert.equal(h.inRecovery, true)
    assert.equal(h.lastCheckedAt, 1100)
  })

  it('a failed check bans; a passing check does not lift a ban early', () => {
    const h = new ServerHealth('s', 1000)
    h.recordCheck({ ok: false, reason: 'timeout' }, 0)
    assert.equal(h.banReason, 'health check failed: timeout')
    assert.equal(h.inRecovery, undefined, 'a failure says nothing of the role')
    h.recordCheck({ ok: true, inRecovery: false }, 10)
    assert.equal(h.banned(10), true)
  })

  it('a change of role is logged', () => {
    const h = new ServerHealth('s', 1000)
    h.recordCheck({ ok: true, inRecovery: true }, 0)
    const lines = logged(() => h.recordCheck({ ok: true, inRecovery: false }, 1))
    assert.equal(lines.length, 1)
    assert.deepEqual(
      [lines[0]!.level, lines[0]!.msg, lines[0]!.in_recovery],
      ['warn', 'server changed role', false],
    )
  })
})

function serverPool(port: number, role: ServerAddress['role']): ServerPool {
  const address: ServerAddress = { host: 'h', port, role, database: 'app', shard: 0 }
  return new ServerPool('app/alice', address, MEMORY_LOGIN, { ...MEMORY_POOL_SETTINGS, banTime: 1000 })
}

describe('health candidates: what the router may choose from', () => {
  it('roles come from the config until a check says otherwise (a failover)', () => {
    const [primary, replica] = [serverPool(1, 'primary'), serverPool(2, 'replica')]
    assert.equal(effectiveRole(primary), 'primary')
    assert.equal(effectiveRole(replica), 'replica')
    // The replica was promoted and the old primary came back as a standby.
    replica.health.recordCheck({ ok: true, inRecovery: false }, 0)
    primary.health.recordCheck({ ok: true, inRecovery: true }, 0)
    assert.deepEqual(healthyCandidates([primary, replica], 0, true), [replica])
    assert.deepEqual(healthyCandidates([primary, replica], 0, false), [primary])
    assert.equal(writeCandidate([primary, replica], 0), replica)
  })

  it('banned servers are skipped until the ban lifts', () => {
    const pools = [serverPool(1, 'primary'), serverPool(2, 'replica'), serverPool(3, 'replica')]
    pools[1]!.health.ban('down', 0)
    assert.deepEqual(healthyCandidates(pools, 10, false), [pools[2]])
    assert.deepEqual(healthyCandidates(pools, 1000, false), [pools[1], pools[2]])
  })

  it('reads: replicas; the primary too with primary_reads_enabled, or when every replica is banned', () => {
    const [p, r1, r2] = [serverPool(1, 'primary'), serverPool(2, 'replica'), serverPool(3, 'replica')]
    const pools = [p, r1, r2]
    assert.deepEqual(readCandidates(pools, 0, false), [r1, r2])
    assert.deepEqual(readCandidates(pools, 0, true), [r1, r2, p])
    r1.health.ban('down', 0)
    r2.health.ban('down', 0)
    assert.deepEqual(readCandidates(pools, 0, false), [p])
    p.health.ban('down', 0)
    assert.deepEqual(readCandidates(pools, 0, false), [], 'nothing healthy: the router reports it')
  })

  it('writes: a banned primary rather than none, but never a server known in recovery', () => {
    const [p, r] = [serverPool(1, 'primary'), serverPool(2, 'replica')]
    p.health.ban('one failed check', 0)
    assert.equal(writeCandidate([p, r], 0), p, 'as PgCat, which never bans its primary')
    p.health.recordCheck({ ok: true, inRecovery: true }, 0)
    assert.equal(writeCandidate([p, r], 0), undefined)
  })
})
