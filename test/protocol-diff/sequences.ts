/**
 * The differential corpus: frontend message sequences whose replies must be the same from Postgres and
 * through Skiff. This file holds the simple-query, transaction and COPY scenarios; the extended
 * protocol ones are in sequences-extended.ts. SQL is deterministic: no clocks, pids or temp OIDs in
 * results (temp tables are only written and read back by value).
 * @module
 */
import { copyData, copyDone, copyFail, queries, query, type Sequence, step } from './messages.js'
import { EXTENDED_SEQUENCES } from './sequences-extended.js'
import { SYNC_SEQUENCES } from './sequences-sync.js'

/** A transaction-scoped scratch table, so nothing outlives the scenario on a shared server. */
const SCRATCH = 'create temp table diff_copy (a int, b text) on commit drop'
/** Expressions, not columns: a column's RowDescription carries its table's OID, new for each temp table. */
const READ_BACK = `select a + 0 as a, b || '' as b from diff_copy order by a`

const SIMPLE: Sequence[] = [
  {
    name: 'simple query: one row of several types',
    steps: queries(`select 1 as one, 'two'::text as two, 3.5::numeric as three, true as four`),
  },
  {
    name: 'simple query: several rows',
    steps: queries(`select g, 'row ' || g as label from generate_series(1, 5) g`),
  },
  {
    name: 'simple query: several statements in one Query',
    steps: queries(`select 1 as a; select 'b' as b, 2 as c; values (3), (4)`),
  },
  {
    name: 'simple query: error in the middle of a multi-statement Query skips the rest',
    steps: queries(`select 1 as a; select 1/0; select 3 as c`, 'select 4 as after'),
  },
  { name: 'simple query: empty and blank Query strings', steps: queries('', ' ;', ';;') },
  { name: 'simple query: syntax error with a position', steps: queries('selec 1', 'select 2 as ok') },
  {
    // A write's words are read for table versions (session/routed-writes.ts); folding them must never
    // touch the bytes sent on: the server's error echoes them as the client wrote them.
    name: 'simple query: the words of a write reach the server as written',
    steps: queries(
      'CREATE TABLE diff_withoid() WITH OIDS',
      'UPDATE pg_class SET WHERE',
      'LISTEN Diff_Chan; UNLISTEN Diff_Chan',
    ),
  },
  {
    name: 'simple query: NULLs among values',
    steps: queries(`select null::int as n, 'x' as x, null::text as t`),
  },
  { name: 'NOTICE from a DO block', steps: queries(`DO $$ begin raise notice 'x'; end $$`) },
  {
    name: 'NOTICE and WARNING before rows in one Query',
    steps: queries(`DO $$ begin raise warning 'w'; end $$; select 'after' as a`),
  },
  { name: 'a row over 1 MiB (simple query)', steps: queries(`select repeat('x', 1100000) as big`) },
  {
    name: 'a result of 50,000 rows (several MiB in many small messages)',
    steps: queries(`select g, repeat('y', 100) as pad from generate_series(1, 50000) g`),
  },
  {
    name: 'BEGIN/COMMIT/ROLLBACK and the ReadyForQuery status bytes',
    steps: queries('begin', 'select 1 as a', 'commit', 'begin', 'select 2 as b', 'rollback', 'select 3 as c'),
  },
  {
    name: 'an error inside a transaction, then ROLLBACK',
    steps: queries('begin', 'select 1/0', 'select 1 as ignored', 'rollback', 'select 2 as after'),
  },
  {
    name: 'COMMIT of a failed transaction reports ROLLBACK',
    steps: queries('begin', 'select 1/0', 'commit', 'select 1 as after'),
  },
  {
    name: 'SET of a reported parameter (ParameterStatus), kept for later statements',
    steps: queries(
      `set intervalstyle = 'iso_8601'`,
      `select interval '1 day 2 hours' as i`,
      'show intervalstyle',
      'reset intervalstyle',
    ),
  },
  {
    name: 'startup parameters (application_name, DateStyle, TimeZone) are reported and kept',
    startup: { application_name: 'protocol-diff', DateStyle: 'German, DMY', TimeZone: 'Asia/Tokyo' },
    steps: queries(
      'show application_name',
      `select date '2024-02-29' as d, timestamptz '2024-02-29 12:00:00+00' as ts`,
      `set timezone = 'America/Lima'`,
      `select timestamptz '2024-02-29 12:00:00+00' as ts`,
    ),
  },
  {
    name: 'COPY FROM STDIN with CopyData and CopyDone, message by message',
    steps: [
      ...queries('begin', SCRATCH),
      step(query('copy diff_copy from stdin'), 'G'),
      step([copyData('1\tone\n'), copyData('2\t\\N\n3\tth'), copyData('ree\n'), copyDone()]),
      ...queries(READ_BACK, 'commit'),
    ],
  },
  {
    name: 'COPY FROM STDIN with CopyFail',
    steps: [
      ...queries('begin', SCRATCH),
      step(query('copy diff_copy from stdin'), 'G'),
      step([copyData('1\tone\n'), copyFail('the client gave up')]),
      ...queries('rollback', 'select 1 as after'),
    ],
  },
  {
    name: 'COPY FROM STDIN with bad data: error, then the rest of the copy is ignored',
    steps: [
      ...queries('begin', SCRATCH),
      step(query('copy diff_copy from stdin'), 'G'),
      step([copyData('not a number\tx\n'), copyData('2\ttwo\n'), copyDone()]),
      ...queries('rollback'),
    ],
  },
  {
    name: 'COPY FROM STDIN sent in one write with its data (no wait for CopyInResponse)',
    steps: [
      step(
        [query(`begin; ${SCRATCH}`), query('copy diff_copy from stdin'), copyData('7\tseven\n'), copyDone()],
        'Z',
        2,
      ),
      ...queries(READ_BACK, 'commit'),
    ],
  },
  {
    name: 'COPY TO STDOUT, text and binary',
    steps: queries(
      `copy (select g, 'r' || g from generate_series(1, 3) g) to stdout`,
      `copy (select g, null::text from generate_series(1, 2) g) to stdout (format csv, header)`,
      `copy (select g::int4, 'b' || g from generate_series(1, 2) g) to stdout (format binary)`,
    ),
  },
]

/** Every scenario, simple protocol first. */
export const SEQUENCES: Sequence[] = [...SIMPLE, ...EXTENDED_SEQUENCES, ...SYNC_SEQUENCES]
