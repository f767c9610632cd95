/**
 * The conformance comparison can fail: a target that loses an error field or changes a value gives a
 * record that no longer equals direct Postgres's, a driver error never passes for a server error, and
 * a target that lacks a feature says why. Without these, a suite where every target failed alike
 * (or the normalization dropped what differs) would pass unnoticed.
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { pgClient } from '../helpers/clients.js'
import { directUrl } from '../helpers/topology.js'
import { ERROR_CASES } from './cases-errors.js'
import { QUERY_CASES } from './cases-queries.js'
import { CREATE_FIXTURES, DROP_FIXTURES } from './fixtures.js'
import { runCase } from './harness.js'
import { REPORT_FIELDS, reportRecord } from './normalize.js'
import type { ConformanceCase, ConformanceTarget, Feature, Outcome } from './target.js'
import { directTarget, httpTarget } from './targets.js'

/** Direct Postgres, with every outcome passed through `alter` (a stand-in for a faulty gateway). */
function tampered(alter: (o: Outcome) => Outcome): ConformanceTarget {
  const direct = directTarget()
  return {
    ...direct,
    name: 'tampered',
    connect: async () => {
      const conn = await direct.connect()
      return { ...conn, query: async (spec) => alter(await conn.query(spec)) }
    },
  }
}

/** `value` with every canonical Date (`{ date: iso }`) replaced by its text, all else kept as is. */
function datesAsText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(datesAsText)
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value)
  if (entries.length === 1 && entries[0]![0] === 'date') return entries[0]![1]
  return Object.fromEntries(entries.map(([k, v]) => [k, datesAsText(v)]))
}

const named = (cases: ConformanceCase[], prefix: string): ConformanceCase =>
  cases.find((c) => c.name.startsWith(prefix)) ?? assert.fail(`no case named ${prefix}…`)

describe('conformance self-check: the comparison can fail', () => {
  let admin: pg.Client & AsyncDisposable
  before(async () => {
    admin = await pgClient(directUrl())
    await admin.query(CREATE_FIXTURES)
  })
  after(async () => {
    await admin.query(DROP_FIXTURES)
    await admin[Symbol.asyncDispose]()
  })

  it('an error that lost its detail no longer equals what Postgres sent', async () => {
    const unique = named(ERROR_CASES, 'errors: unique violations')
    const real = await runCase(unique, directTarget(), () => admin)
    const lossy = tampered((o) => ('error' in o ? { error: { ...o.error, detail: null } } : o))
    const record = await runCase(unique, lossy, () => admin)
    assert.throws(() => assert.deepStrictEqual(record, real), /detail/)
  })

  it('a value of another type (a Date read as text) no longer equals what Postgres sent', async () => {
    const times = named(QUERY_CASES, 'simple: timestamptz')
    const real = await runCase(times, directTarget(), () => admin)
    // Untouched, a second run equals the first: what the next assertion sees is the tampering.
    assert.deepStrictEqual(
      await runCase(
        times,
        tampered((o) => o),
        () => admin,
      ),
      real,
    )
    const asText = tampered((o) => datesAsText(o) as Outcome)
    const record = await runCase(times, asText, () => admin)
    assert.throws(() => assert.deepStrictEqual(record, real), /date/)
  })

  it('a driver or socket error is kept apart from every server error', () => {
    assert.deepEqual(reportRecord(new Error('Connection terminated unexpectedly')), {
      clientError: 'Connection terminated unexpectedly',
    })
    const server = reportRecord({ message: 'x', severity: 'ERROR', code: '22012' })
    assert.deepEqual(Object.keys(server), [...REPORT_FIELDS])
    assert.equal(server.detail, null)
  })

  it('a target that lacks a feature names the reason; direct Postgres lacks none', () => {
    const http = httpTarget({ mode: 'transaction', gateway: () => assert.fail('not started') })
    assert.match(http.unsupported.copy ?? '', /refused by design/)
    const all: Feature[] = [
      'session',
      'multi-statement',
      'binary',
      'named-statements',
      'copy',
      'notice',
      'cancel',
    ]
    assert.deepEqual(Object.keys(directTarget().unsupported), [])
    assert.equal(all.filter((f) => http.unsupported[f] === undefined).length, 0)
  })
})
