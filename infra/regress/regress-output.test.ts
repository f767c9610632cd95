import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  connectionProblem,
  failedTests,
  groupProblems,
  judge,
  type Mode,
  type ModeRun,
  parseRegressOutput,
  summaryMarkdown,
} from './regress-output.js'

/** Lines as PostgreSQL 15's pg_regress prints them (copied from real runs). */
const OUTPUT = `(using postmaster on 127.0.0.1, port 39759)
============== running regression test queries        ==============
test test_setup                   ... ok          244 ms
test tablespace                   ... FAILED (test process exited with exit code 2)        9 ms
parallel group (3 tests):  random boolean char
     boolean                      ... ok          541 ms
     char                         ... FAILED      324 ms
     random                       ... failed (ignored) (test process exited with exit code 2)       97 ms
test a_name_longer_than_twenty_eight_chars ... ok    12 ms

=======================
 2 of 5 tests failed, 1 of these failures ignored.
=======================
`

test('parseRegressOutput reads single tests, parallel groups, notes and ignored failures', () => {
  assert.deepEqual(parseRegressOutput(OUTPUT), [
    { name: 'test_setup', status: 'ok' },
    { name: 'tablespace', status: 'failed', note: '(test process exited with exit code 2)' },
    { name: 'boolean', status: 'ok' },
    { name: 'char', status: 'failed' },
    { name: 'random', status: 'ignored', note: '(test process exited with exit code 2)' },
    { name: 'a_name_longer_than_twenty_eight_chars', status: 'ok' },
  ])
  assert.deepEqual(failedTests(parseRegressOutput(OUTPUT)), ['char', 'tablespace'])
})

test('connectionProblem finds why psql has no connection, with the port blanked', () => {
  const refused =
    'psql: error: connection to server at "127.0.0.1", port 44033 failed: FATAL:  unsupported startup parameter: options\n'
  assert.equal(
    connectionProblem(refused),
    'psql: error: connection to server at "127.0.0.1", port N failed: FATAL: unsupported startup parameter: options',
  )
  const lost = 'SELECT 1;\nserver closed the connection unexpectedly\n\tThis probably means ...\n'
  assert.equal(connectionProblem(lost), 'server closed the connection unexpectedly')
  assert.equal(connectionProblem('SELECT 1/0;\nERROR:  division by zero\n'), undefined)
})

test('groupProblems puts the most frequent problem first', () => {
  const problems = new Map([
    ['b', 'refused'],
    ['a', 'refused'],
    ['c', 'lost'],
  ])
  assert.deepEqual(groupProblems(problems), [
    { problem: 'refused', tests: ['a', 'b'] },
    { problem: 'lost', tests: ['c'] },
  ])
})

function run(mode: Mode, failed: string[], error?: string): ModeRun {
  const names = ['a', 'b', 'c', 'd']
  const results = names.map((name) => ({ name, status: failed.includes(name) ? 'failed' : 'ok' }) as const)
  const base = {
    mode,
    results,
    seconds: 30,
    exitCode: 0,
    timedOutTests: [],
    connectionProblems: [],
    dir: mode,
  }
  return error ? { ...base, error } : base
}

test('judge fails on a session-mode failure that passes directly, and only reports transaction mode', () => {
  const same = judge([run('direct', ['a']), run('session', ['a']), run('transaction', ['a', 'b', 'c'])])
  assert.deepEqual(same, { sessionExtra: [], transactionExtra: ['b', 'c'], ok: true, reasons: [] })

  const extra = judge([run('direct', ['a']), run('session', ['a', 'd'])])
  assert.deepEqual(extra.sessionExtra, ['d'])
  assert.equal(extra.ok, false)

  // A test that fails directly but passes through the gateway is no failure of the gateway.
  assert.equal(judge([run('direct', ['a', 'b']), run('session', ['a'])]).ok, true)
})

test('judge fails when the direct or session run broke down, whatever it counted', () => {
  const broken = judge([run('direct', [], 'killed after --run-timeout 600 s'), run('session', [])])
  assert.equal(broken.ok, false)
  assert.equal(broken.sessionExtra, undefined)
  assert.match(broken.reasons.join(), /direct run did not complete/)
  assert.equal(judge([run('direct', []), run('transaction', [], 'killed')]).ok, true)
})

test('summaryMarkdown lists each mode and what fails only through Skiff', () => {
  const runs = [run('direct', ['a']), run('session', ['a']), run('transaction', ['b', 'c'])]
  const header = {
    startedAt: new Date('2025-01-02T03:04:05Z'),
    serverVersion: 'postgres (PostgreSQL) 15.18',
    suiteSource: 'postgresql-15 15.18-0+deb12u1',
    regressArgs: '--use-existing',
  }
  const md = summaryMarkdown(header, runs, judge(runs))
  assert.match(md, /^# Postgres regression suite through Skiff, 2025-01-02 03:04 UTC$/m)
  assert.match(md, /^\| session \| 4 \| 1 \| 0 \| 30 s \| {2}\|$/m)
  assert.match(md, /^- session mode failures not failing directly \(0\): none$/m)
  assert.match(md, /^- transaction-mode failures not failing directly \(2\): all of its failures above$/m)
  assert.match(md, /^- failing directly but passing in transaction mode: a$/m)
  assert.match(md, /^Result: PASS\.$/m)
})
