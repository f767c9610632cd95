/**
 * `node --import tsx infra/bench/sql-classify-bench.ts [--quick]`: nanoseconds per call of the SQL
 * classifier (gateway/src/sql) on the statements pgbench sends and a few heavier ones, read in place
 * from a Query message body with its NUL, as the gateway would. Also times `statementTables` and, for
 * comparison, what a text-keyed shape cache would cost on a hit (the text must be decoded and hashed
 * before the cache can be asked). Times are CPU time (process.cpuUsage) per call, the minimum and the
 * median of 15 rounds after a warm-up: on a shared machine wall time mostly measures the neighbours,
 * and the minimum is the figure least disturbed by them.
 */
import { classifyStatement, statementTables } from '../../gateway/src/sql/index.js'

const quick = process.argv.includes('--quick')
const ROUNDS = 15
const TARGET_US = quick ? 10_000 : 60_000 // CPU time per round

const values = Array.from({ length: 200 }, (_, i) => `(${i}, 'name ${i}', now(), ${i * 3})`).join(', ')
const CASES: Array<[string, string]> = [
  ['pgbench -S (simple)', 'SELECT abalance FROM pgbench_accounts WHERE aid = 123;'],
  ['pgbench -S (extended)', 'SELECT abalance FROM pgbench_accounts WHERE aid = $1'],
  ['TPC-B BEGIN', 'BEGIN;'],
  ['TPC-B UPDATE accounts', 'UPDATE pgbench_accounts SET abalance = abalance + -2044 WHERE aid = 51190;'],
  ['TPC-B SELECT', 'SELECT abalance FROM pgbench_accounts WHERE aid = 51190;'],
  ['TPC-B UPDATE tellers', 'UPDATE pgbench_tellers SET tbalance = tbalance + -2044 WHERE tid = 6;'],
  [
    'TPC-B INSERT history',
    'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (6, 1, 51190, -2044, CURRENT_TIMESTAMP);',
  ],
  ['TPC-B END', 'END;'],
  [
    'ORM select (drizzle-like)',
    'select "id", "name", "email", "created_at" from "users" where ("users"."id" = $1 and "users"."org" = $2) limit $3',
  ],
  [
    'WITH + data-modifying CTE',
    'with moved as (delete from queue where id = $1 returning *) select * from moved',
  ],
  ['3 statements', "BEGIN; UPDATE t SET a = 'x;y' WHERE id = 1; COMMIT;"],
  ['SET with comment', "/* shard_id: 2 */ SET application_name = 'worker'"],
  [`INSERT of ${values.length} bytes`, `INSERT INTO t (a, b, c, d) VALUES ${values}`],
]

/** The text as a Query message body inside a larger buffer: `Q`, length, text, NUL, more bytes. */
function message(text: string): { buf: Buffer; start: number; end: number } {
  const body = Buffer.from(`${text}\0`)
  const buf = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 0]), body, Buffer.from('Sxxxx')])
  return { buf, start: 5, end: 5 + body.length }
}

let sink = 0

function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** Runs `fn` n times; returns the CPU µs spent. */
function run(fn: () => number, n: number): number {
  const c0 = cpuMicros()
  for (let i = 0; i < n; i++) sink += fn()
  return cpuMicros() - c0
}

/** [min, median] CPU ns per call of `fn` over ROUNDS rounds. */
function measure(fn: () => number): [number, number] {
  let n = 1000
  while (run(fn, n) < 20_000) n *= 2 // warm-up, and a first estimate of the speed
  n = Math.max(1000, Math.round((n * TARGET_US) / run(fn, n)))
  const perCall: number[] = []
  for (let r = 0; r < ROUNDS; r++) perCall.push((run(fn, n) * 1000) / n)
  perCall.sort((a, b) => a - b)
  return [perCall[0]!, perCall[ROUNDS >> 1]!]
}

function row(label: string, [min, median]: [number, number]): void {
  console.log(`${label.padEnd(40)} ${min.toFixed(0).padStart(8)} ns ${median.toFixed(0).padStart(8)} ns`)
}

console.log(`Node ${process.version}; CPU time per call over ${ROUNDS} rounds: minimum, median\n`)
console.log('classifyStatement (kind, counts, first keyword, comments)')
for (const [label, text] of CASES) {
  const { buf, start, end } = message(text)
  row(
    label,
    measure(() => classifyStatement(buf, start, end).statementCount),
  )
}

console.log('\nstatementTables (second pass, on demand)')
for (const [label, text] of CASES.slice(0, 2)) {
  const { buf, start, end } = message(text)
  row(
    label,
    measure(() => statementTables(buf, start, end).length),
  )
}

console.log('\nshape cache hit (decode the text + Map lookup), for comparison')
const cache = new Map<string, number>()
for (const [label, text] of CASES.slice(0, 2)) {
  const { buf, start, end } = message(text)
  cache.set(buf.toString('latin1', start, end), 1)
  row(
    label,
    measure(() => cache.get(buf.toString('latin1', start, end)) ?? 0),
  )
}
if (sink === 42) console.log('') // keeps the results alive
