import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { boundLag, parseReading, READING_SQL } from './replication-reading.js'

describe('the monitor query', () => {
  it('is one statement, every function schema-qualified', () => {
    assert.ok(!READING_SQL.includes(';'))
    const calls = READING_SQL.match(/[\w.]+\(/g) ?? []
    const unqualified = calls.filter((c) => !c.startsWith('pg_catalog.') && !/^(GREATEST|extract)\($/.test(c))
    assert.deepEqual(unqualified, [], 'GREATEST and extract are grammar, not functions on the search_path')
  })
})

describe('parseReading', () => {
  it('a primary: f, its insert LSN, lag 0', () => {
    assert.deepEqual(parseReading([['f', '0/3000028', '0']]), {
      inRecovery: false,
      lsn: 0x3000028n,
      serverLagMs: 0,
    })
  })

  it('a standby behind: t, its replay LSN, the age in ms; NULL lag is unknown', () => {
    assert.deepEqual(parseReading([['t', '0/3001308', '5519']]), {
      inRecovery: true,
      lsn: 0x3001308n,
      serverLagMs: 5519,
    })
    assert.equal(
      (parseReading([['t', '0/3001308', null]]) as { serverLagMs?: number }).serverLagMs,
      undefined,
    )
  })

  it('anything else is malformed', () => {
    for (const rows of [
      [],
      [
        ['f', '0/1', '0'],
        ['f', '0/1', '0'],
      ],
      [['f', '0/1']],
      [['x', '0/1', '0']],
      [['t', null, '0']],
      [['t', 'nope', '0']],
      [['t', '0/1', 'soon']],
    ])
      assert.equal(typeof parseReading(rows), 'string', JSON.stringify(rows))
  })
})

describe('boundLag', () => {
  it('caught up is 0, whatever else is known', () => {
    assert.equal(boundLag(0, undefined, 1000), 0)
    assert.equal(boundLag(0, 500, 1000), 0)
  })

  it('behind: the server figure, capped by the time since last seen caught up', () => {
    // A write after 5 s of quiet, held back by recovery_min_apply_delay: the server says 5519 ms (its
    // last replayed commit's age), but the standby was caught up 700 ms ago.
    assert.equal(boundLag(5519, 10_000, 10_700), 700)
    // Under a steady stream of writes the standby is never caught up: the server figure stands.
    assert.equal(boundLag(2016, undefined, 10_700), 2016)
    assert.equal(boundLag(300, 10_000, 10_700), 300)
  })

  it('unknown server figure: the time since caught up, else unknown', () => {
    assert.equal(boundLag(undefined, 10_000, 10_250), 250)
    assert.equal(boundLag(undefined, undefined, 10_250), undefined)
  })

  it('never negative (a reading older than the last caught-up one)', () => {
    assert.equal(boundLag(100, 2000, 1000), 0)
  })
})
