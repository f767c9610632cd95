import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareLsn, formatLsn, lsnDiff, minReplayLsn, parseLsn, replayedUpTo } from './lsn.js'

describe('LSN text form', () => {
  it('parses high/low hex halves into one byte position', () => {
    assert.equal(parseLsn('16/B374D848'), 0x16_b374d848n)
    assert.equal(parseLsn('0/0'), 0n)
    assert.equal(parseLsn('0/3000028'), 0x3000028n)
    assert.equal(parseLsn('b/ff'), 0xb_000000ffn, 'lower case is accepted')
    assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 2n ** 64n - 1n)
  })

  it('refuses what is not an LSN', () => {
    for (const bad of ['', '16', '16/', '/1', '16/B374D848/0', 'G/0', '0/123456789', ' 0/1', '-1/0'])
      assert.equal(parseLsn(bad), undefined, JSON.stringify(bad))
  })

  it('formats as Postgres prints pg_lsn: upper case, no leading zeros', () => {
    assert.equal(formatLsn(0x16_b374d848n), '16/B374D848')
    assert.equal(formatLsn(0n), '0/0')
    assert.equal(formatLsn(0x3000028n), '0/3000028')
    assert.equal(formatLsn(0x1_00000000n), '1/0')
  })

  it('round-trips', () => {
    for (const text of ['0/0', '0/1', '1/0', '16/B374D848', 'FFFFFFFF/FFFFFFFF', '0/30012C8'])
      assert.equal(formatLsn(parseLsn(text)!), text)
  })
})

describe('LSN order and distance', () => {
  it('compares as byte positions, the high half first', () => {
    assert.equal(compareLsn(parseLsn('0/FFFFFFFF')!, parseLsn('1/0')!), -1)
    assert.equal(compareLsn(parseLsn('1/0')!, parseLsn('0/FFFFFFFF')!), 1)
    assert.equal(compareLsn(5n, 5n), 0)
    assert.deepEqual(
      [3n, 1n, 2n].sort(compareLsn).map((l) => Number(l)),
      [1, 2, 3],
    )
  })

  it('the difference is in bytes, as pg_wal_lsn_diff', () => {
    assert.equal(lsnDiff(parseLsn('1/0')!, parseLsn('0/FFFFFFFF')!), 1n)
    assert.equal(lsnDiff(parseLsn('0/3001330')!, parseLsn('0/3001308')!), 0x28n)
    assert.equal(lsnDiff(parseLsn('0/3001308')!, parseLsn('0/3001330')!), -0x28n)
  })
})

describe('minReplayLsn: the replay LSN that proves an insert LSN replayed', () => {
  it('an idle primary at a segment start (0/3000028) is matched by its standby at 0/3000000', () => {
    // Read from Postgres 15: pg_current_wal_insert_lsn() 0/3000028, the standby's replay 0/3000000.
    assert.equal(minReplayLsn(parseLsn('0/3000028')!), parseLsn('0/3000000'))
    assert.equal(minReplayLsn(parseLsn('5/0000028')!), parseLsn('5/0'))
  })

  it('just past a page header (24 bytes) the page boundary', () => {
    assert.equal(minReplayLsn(0x3002018n), 0x3002000n)
    assert.equal(minReplayLsn(0x30fe018n), 0x30fe000n)
  })

  it('mid-page: 24 bytes less, which no record a client waits for can end within', () => {
    const insert = parseLsn('0/30012C8')!
    const target = minReplayLsn(insert)
    assert.equal(target, insert - 24n)
    const commitEnd = insert // the last record, a commit of 40 bytes or more
    const beforeCommit = insert - 40n
    assert.ok(beforeCommit < target, 'a standby that has not replayed the commit stays below the target')
    assert.ok(commitEnd >= target)
  })

  it('never negative', () => {
    assert.equal(minReplayLsn(0n), 0n)
    assert.equal(minReplayLsn(24n), 0n)
    assert.equal(minReplayLsn(40n), 0n)
  })
})

describe('replayedUpTo', () => {
  it('compares a replay LSN with the replay target of an insert LSN', () => {
    assert.equal(
      replayedUpTo(parseLsn('0/3000000')!, parseLsn('0/3000028')!),
      true,
      'idle at a segment start',
    )
    assert.equal(replayedUpTo(parseLsn('0/3001308')!, parseLsn('0/3001330')!), false, 'a commit held back')
    assert.equal(replayedUpTo(parseLsn('0/3001330')!, parseLsn('0/3001330')!), true)
    assert.equal(replayedUpTo(parseLsn('0/3002000')!, parseLsn('0/3001330')!), true)
  })
})
