/**
 * `node --import tsx infra/bench/sql-classify-bench.ts [--quick]`: nanoseconds per call of the SQL
 * classifier (gateway/src/sql) on the statements pgbench sends and a few heavier ones, read in place
 * from a Query message body with its NUL, as the gateway would. Also times `statementTables`, and the
 * shape cache (issue 19): `ShapeCache.classify` on a hit, with a different literal in each call, next
 * to `classifyStatement` on the same texts; the shape pass alone; and a miss, with and without the
 * pgsql-ast-parser second opinion. Times are CPU time (process.cpuUsage) per call, the minimum and the
 * median of 15 rounds after a warm-up: on a shared machine wall time mostly measures the neighbours,
 * and the minimum is the figure least disturbed by them.
 */
import {
  classifyStatement,
  loadSecondOpinion,
  ShapeCache,
  StatementShape,
  statementTables,
} from '../../gateway/src/sql/index.js'

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

/** Calls of `fn` that take about TARGET_US of CPU, after a warm-up. */
function callsPerRound(fn: () => number): number {
  let n = 1000
  while (run(fn, n) < 20_000) n *= 2 // warm-up, and a first estimate of the speed
  return Math.max(1000, Math.round((n * TARGET_US) / run(fn, n)))
}

/**
 * [min, median] CPU ns per call of each of `fns` over ROUNDS rounds, the functions taking turns in
 * each round, so that a neighbour's burst of load weighs on all of them alike and their ratio holds.
 */
function measureTogether(fns: Array<() => number>): Array<[number, number]> {
  const n = fns.map(callsPerRound)
  const perCall: number[][] = fns.map(() => [])
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, fn] of fns.entries()) perCall[i]!.push((run(fn, n[i]!) * 1000) / n[i]!)
  }
  return perCall.map((xs) => {
    xs.sort((a, b) => a - b)
    return [xs[0]!, xs[ROUNDS >> 1]!]
  })
}

/** [min, median] CPU ns per call of `fn` over ROUNDS rounds. */
function measure(fn: () => number): [number, number] {
  return measureTogether([fn])[0]!
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

const ORM_TRANSACTION = [
  'BEGIN',
  'SELECT "id", "balance" FROM "accounts" WHERE "id" = 17 FOR UPDATE',
  'UPDATE "accounts" SET "balance" = "balance" - 25 WHERE "id" = 17',
  'UPDATE "accounts" SET "balance" = "balance" + 25 WHERE "id" = 96',
  'INSERT INTO "transfers" ("from", "to", "amount", "note") VALUES (17, 96, 25, \'rent\')',
  'SELECT "id", "email" FROM "users" WHERE "org_id" = 3 AND "active" = true ORDER BY "id" LIMIT 50',
  'UPDATE "users" SET "last_seen" = \'2024-05-01 10:00:00\' WHERE "id" = 96',
  'INSERT INTO "audit" ("actor", "action", "at") VALUES (17, \'transfer\', now())',
  'SELECT count(*) FROM "transfers" WHERE "from" = 17',
  'COMMIT',
].join('; ')

/** `n` copies of `text` as Query messages, each with its numbers changed, so no two are the same. */
function variants(text: string, n = 1024): Array<{ buf: Buffer; start: number; end: number }> {
  return Array.from({ length: n }, (_, i) =>
    message(text.replace(/\b\d+\b/g, (d) => String(Number(d) + i + 1))),
  )
}

const SHAPE_CASES: Array<[string, string]> = [
  ['pgbench -S (simple), new literal each call', CASES[0]![1]],
  ['pgbench -S (extended), same text', CASES[1]![1]],
  ['TPC-B UPDATE accounts', CASES[3]![1]],
  ['ORM select (drizzle-like)', CASES[8]![1]],
  ['ORM transaction, 10 statements', ORM_TRANSACTION],
  ['SET with comment (reclassified on a hit)', CASES[11]![1]],
]

console.log('\nshape cache: classifyStatement | shape pass alone | ShapeCache.classify hit | hit / classify')
const t0 = performance.now()
loadSecondOpinion()
const loadMs = performance.now() - t0
const cache = new ShapeCache()
const shape = new StatementShape()
for (const [label, text] of SHAPE_CASES) {
  const texts = variants(text)
  let i = 0
  const next = () => texts[i++ & 1023]!
  const [plain, pass, hit] = measureTogether([
    () => {
      const { buf, start, end } = next()
      return classifyStatement(buf, start, end).statementCount
    },
    () => {
      const { buf, start, end } = next()
      return shape.read(buf, start, end).tokens
    },
    () => {
      const { buf, start, end } = next()
      return cache.classify(buf, start, end).statementCount
    },
  ])
  const f = ([min, med]: [number, number]) => `${min.toFixed(0).padStart(6)} ${med.toFixed(0).padStart(6)}`
  const ratio = `${(hit![0] / plain![0]).toFixed(2)}×`
  console.log(`${label.padEnd(44)} ${f(plain!)} | ${f(pass!)} | ${f(hit!)} | ${ratio}`)
}

console.log('\nshape cache miss: a new shape each call (a new column name), 10,000-shape cache full')
const fresh = (n: number) => message(`SELECT c${n} FROM pgbench_accounts WHERE aid = ${n};`)
let n = 0
const noAst = new ShapeCache({ secondOpinion: null })
const [built, missed] = measureTogether([
  () => {
    const { buf, start, end } = fresh(n++)
    return classifyStatement(buf, start, end).statementCount
  },
  () => {
    const { buf, start, end } = fresh(n++)
    return noAst.classify(buf, start, end).statementCount
  },
])
row('classifyStatement (text built per call)', built!)
row('miss, no second opinion', missed!)
console.log(`pgsql-ast-parser loaded in ${loadMs.toFixed(0)} ms (once, on first need)`)
const withAst = new ShapeCache()
const calls = quick ? 100 : 400
const ast = run(() => {
  const { buf, start, end } = fresh(n++)
  return withAst.classify(buf, start, end).statementCount
}, calls)
console.log(
  `${'miss, pgsql-ast-parser second opinion'.padEnd(40)} ${((ast * 1000) / calls).toFixed(0).padStart(8)} ns (mean of ${calls})`,
)
if (sink === 42) console.log('') // keeps the results alive
