import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  serializeCommandComplete,
  serializeDataRow,
  serializeErrorResponse,
  serializeNoticeResponse,
  serializeReadyForQuery,
  serializeRowDescription,
} from './backend.js'
import { parseDataRowText, parseErrorFields } from './backend-decode.js'
import { readCommandTag } from './command-tag.js'
import { CrossShardResult } from './cross-shard-result.js'
import { MessageFramer } from './framer.js'
import type { MergeSpec } from './merge-spec.js'
import { TypeOid as T } from './value-compare.js'

const Z = serializeReadyForQuery(0x49)
const desc = (...types: number[]) =>
  serializeRowDescription(types.map((typeOid, i) => ({ name: `c${i}`, typeOid })))
const rows = (...values: (string | null)[][]) => values.map((v) => serializeDataRow(v))
const PLAIN: MergeSpec = { hidden: 0, distinct: false, sort: [], offset: 0 }

/** Decoded output: message codes, and rows / tag / error code. */
function decode(out: Buffer) {
  const f = new MessageFramer()
  f.push(out)
  const got = { codes: '', rows: [] as (string | null)[][], tag: '', error: '', columns: -1 }
  while (f.next()) {
    got.codes += String.fromCharCode(f.code)
    if (f.code === 0x44) got.rows.push(parseDataRowText(f.buffer, f.start, f.end))
    if (f.code === 0x43) got.tag = readCommandTag(f.buffer, f.start, f.end)
    if (f.code === 0x45) got.error = parseErrorFields(f.buffer, f.start, f.end).get('C')!
    if (f.code === 0x54) got.columns = f.buffer.readInt16BE(f.start + 5)
  }
  return got
}

/** Runs `stream` through a stage in pieces cut at `cuts`. */
function run(spec: MergeSpec, stream: Buffer, cuts: number[] = [], maxRowBytes?: number): Buffer {
  const out: Buffer[] = []
  const stage = new CrossShardResult(spec, (b) => out.push(Buffer.from(b)), { maxRowBytes })
  let at = 0
  for (const cut of [...cuts, stream.length]) {
    const padded = Buffer.concat([Buffer.from([1, 2]), stream.subarray(at, cut), Buffer.from([3])])
    stage.push(padded, 2, 2 + cut - at)
    at = cut
  }
  return Buffer.concat(out)
}

const stream = (...parts: Buffer[][]) => Buffer.concat(parts.flat())

describe('CrossShardResult', () => {
  const grouped: MergeSpec = {
    hidden: 2,
    distinct: false,
    sort: [{ column: 0, descending: false, nullsFirst: false, collateC: true }],
    offset: 0,
    group: {
      keys: [0],
      aggregates: [
        { column: 1, fn: 'count' },
        { column: 3, fn: 'sum' },
        { column: 4, fn: 'count' },
        { column: 2, fn: 'avg', sum: 3, count: 4 },
      ],
    },
  }
  // Two shards' groups, concatenated: grp, count(*), avg(val), sum(val), count(val).
  const input = stream(
    [desc(T.text, T.int8, T.numeric, T.int8, T.int8)],
    rows(['b', '2', '1.5', '3', '2'], [null, '1', null, null, '0'], ['a', '1', '2', '2', '1']),
    rows(['b', '1', '2', '2', '1'], ['a', '3', null, null, '0']),
    [serializeCommandComplete('SELECT 5'), Z],
  )
  const want = [
    ['a', '4', '2.0000000000000000'],
    ['b', '3', '1.6666666666666667'],
    [null, '1', null],
  ]

  it('groups, combines count and avg, sorts with NULLs last, hides the hidden columns', () => {
    const got = decode(run(grouped, input))
    assert.equal(got.codes, 'TDDDCZ')
    assert.equal(got.columns, 3)
    assert.deepEqual(got.rows, want)
    assert.equal(got.tag, 'SELECT 3')
  })

  it('gives the same output for the stream cut at every byte, and in two pieces anywhere', () => {
    const whole = run(grouped, input)
    const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1)
    assert.deepEqual(run(grouped, input, everyByte), whole)
    for (let cut = 1; cut < input.length; cut++) assert.deepEqual(run(grouped, input, [cut]), whole)
  })

  it('applies OFFSET and LIMIT after the sort, DESC with NULLs first by default', () => {
    const spec: MergeSpec = {
      ...PLAIN,
      sort: [{ column: 0, descending: true, nullsFirst: true, collateC: false }],
      offset: 1,
      limit: 2,
    }
    const s = stream([desc(T.int8)], rows(['5'], ['-7']), rows([null], ['12'], ['9']), [
      serializeCommandComplete('SELECT 5'),
      Z,
    ])
    assert.deepEqual(decode(run(spec, s)).rows, [['12'], ['9']])
  })

  it('dedupes equal numerics written differently under DISTINCT', () => {
    const s = stream([desc(T.numeric)], rows(['1.0'], ['2']), rows(['1.00'], [null], [null]), [
      serializeCommandComplete('SELECT 5'),
      Z,
    ])
    assert.deepEqual(decode(run({ ...PLAIN, distinct: true }, s)).rows, [['1.0'], ['2'], [null]])
  })

  it('refuses to sort text without COLLATE "C" before any row goes out', () => {
    const spec: MergeSpec = {
      ...PLAIN,
      sort: [{ column: 0, descending: false, nullsFirst: false, collateC: false }],
    }
    const s = stream([desc(T.text)], rows(['b'], ['a']), [serializeCommandComplete('SELECT 2'), Z])
    const got = decode(run(spec, s))
    assert.equal(got.codes, 'EZ')
    assert.equal(got.error, '0A000')
  })

  it('passes an error from the shards through, discarding the rows, and notices in order', () => {
    const n = serializeNoticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' })
    const e = serializeErrorResponse({ severity: 'ERROR', code: '22012', message: 'division by zero' })
    const got = decode(run(PLAIN, stream([n, desc(T.int4)], rows(['1']), [n, e, Z])))
    assert.equal(got.codes, 'NTNEZ')
    assert.equal(got.error, '22012')
  })

  it('refuses a result over the row-byte limit with 54000 and drops the rest', () => {
    const s = stream([desc(T.int4)], rows(['1'], ['2'], ['3']), [serializeCommandComplete('SELECT 3'), Z])
    const got = decode(run(PLAIN, s, [], 25))
    assert.equal(got.codes, 'TEZ')
    assert.equal(got.error, '54000')
  })

  it('merges an ungrouped aggregate over empty shards: count 0, sum/min NULL', () => {
    const spec: MergeSpec = {
      ...PLAIN,
      group: {
        keys: [],
        aggregates: [
          { column: 0, fn: 'count' },
          { column: 1, fn: 'sum' },
          { column: 2, fn: 'min', collateC: false },
        ],
      },
    }
    const s = stream([desc(T.int8, T.numeric, T.int4)], rows(['0', null, null], ['0', null, null]), [
      serializeCommandComplete('SELECT 2'),
      Z,
    ])
    assert.deepEqual(decode(run(spec, s)).rows, [['0', null, null]])
  })

  it('passes later queries through once the result is done, and again after reset', () => {
    const later = stream([desc(T.int4)], rows(['2'], ['1']), [serializeCommandComplete('SELECT 2'), Z])
    const out: Buffer[] = []
    const spec: MergeSpec = {
      ...PLAIN,
      sort: [{ column: 0, descending: false, nullsFirst: false, collateC: false }],
    }
    const stage = new CrossShardResult(spec, (b) => out.push(Buffer.from(b)))
    stage.push(later, 0, later.length)
    stage.push(later, 0, later.length)
    assert.deepEqual(decode(Buffer.concat(out)).rows, [['1'], ['2'], ['2'], ['1']])
    stage.reset(spec)
    out.length = 0
    stage.push(later, 0, later.length)
    assert.deepEqual(decode(Buffer.concat(out)).rows, [['1'], ['2']])
  })
})
