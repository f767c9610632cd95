/**
 * Runs the conformance cases on every target with node:test: one `describe` per target, direct
 * Postgres first. Each case's record on direct Postgres is checked by the case's own `expect` and kept;
 * on every other target the case's record must deep-equal it. A target lacking a feature a case needs
 * reports the case as skipped, with the target's reason; a case on a target where Skiff is known to
 * differ (and says why) runs as a todo, so its failing assertion stays visible without failing the run.
 * @module
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type pg from 'pg'
import {
  type CaseContext,
  type ConformanceCase,
  type ConformanceConn,
  type ConformanceTarget,
  type Feature,
  missingFeature,
} from './target.js'

/** A case whose record has a type of its own (erased once the case joins the list). */
export function defineCase<R>(c: {
  name: string
  needs?: readonly Feature[]
  reset?: string
  knownDifference?: ConformanceCase['knownDifference']
  run(ctx: CaseContext): Promise<R>
  expect(record: R): void
}): ConformanceCase {
  return { ...c, needs: c.needs ?? [], expect: (record) => c.expect(record as R) } as ConformanceCase
}

/** A case that hangs (a driver that never settles) fails on its own instead of stalling the run. */
const CASE_TIMEOUT_MS = 60_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Polls pg_stat_activity until a backend is active on exactly `text`, so a cancel has a target. The
 * limit is generous (a loaded CI machine), and only reached when something is wrong.
 */
export async function waitUntilRunning(
  admin: pg.Client,
  text: string,
  gaveUp: () => boolean = () => false,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms
  const sql = `select count(*)::int as n from pg_stat_activity where query = $1 and state = 'active'`
  while ((await admin.query(sql, [text])).rows[0].n === 0 && !gaveUp()) {
    if (Date.now() > deadline) throw new Error(`no backend ran ${JSON.stringify(text)} within ${ms} ms`)
    await sleep(10)
  }
}

/** Runs one case on one target and returns its record; every connection it opened is closed. */
export async function runCase(
  c: ConformanceCase,
  target: ConformanceTarget,
  admin: () => pg.Client,
): Promise<unknown> {
  if (c.reset !== undefined) await admin().query(c.reset)
  const conns: ConformanceConn[] = []
  const ctx: CaseContext = {
    connect: async () => {
      const conn = await target.connect()
      conns.push(conn)
      return conn
    },
    waitUntilRunning: (text, gaveUp) => waitUntilRunning(admin(), text, gaveUp),
  }
  try {
    return await c.run(ctx)
  } finally {
    await Promise.all(conns.map((conn) => conn.close()))
  }
}

/**
 * Declares the suite: `direct` first (its records are the expectations), then each of `others`.
 * `admin` is a superuser connection straight to Postgres, for resets and for watching backends.
 */
export function describeConformance(
  cases: readonly ConformanceCase[],
  direct: ConformanceTarget,
  others: readonly ConformanceTarget[],
  admin: () => pg.Client,
): void {
  const expected = new Map<string, unknown>()
  for (const target of [direct, ...others]) {
    describe(`conformance: ${target.name}`, () => {
      for (const c of cases) {
        const todo = c.knownDifference?.targets.test(target.name) ? c.knownDifference.reason : undefined
        const skip = missingFeature(target, c.needs)
        it(c.name, { skip, todo, timeout: CASE_TIMEOUT_MS }, async () => {
          const record = await runCase(c, target, admin)
          if (target === direct) {
            c.expect(record)
            expected.set(c.name, record)
            return
          }
          assert.ok(expected.has(c.name), `direct Postgres has no record of "${c.name}" (did it fail?)`)
          assert.deepStrictEqual(record, expected.get(c.name))
        })
      }
    })
  }
}
