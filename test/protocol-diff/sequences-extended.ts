/**
 * Extended-protocol scenarios of the differential corpus: pipelining, errors before Sync, Describe,
 * named statements across Syncs, row limits, binary formats and NULLs.
 * @module
 */
import {
  bind,
  describe,
  execute,
  flush,
  int4,
  int8,
  parse,
  type Sequence,
  step,
  sync,
  unnamed,
} from './messages.js'
import { STATEMENT_SEQUENCES } from './sequences-statements.js'

/** Built-in type OIDs (fixed in the catalog, unlike those of temp objects). */
const INT4 = 23
const INT8 = 20

const PIPELINES: Sequence[] = [
  {
    name: 'extended: a Parse of a write reaches the server as written (its error echoes the words)',
    steps: [step([...unnamed('INSERT INTO diff_nowhere SELECT FROM WHERE'), sync()])],
  },
  {
    name: 'extended: pipeline of several P/B/D/E in one write, one Sync',
    steps: [
      step([
        ...unnamed('select 1 as a'),
        ...unnamed('select $1::int + 1 as b', { params: ['41'] }),
        ...unnamed('select g from generate_series(1, 3) g'),
        sync(),
      ]),
    ],
  },
  {
    name: 'extended: pipeline with a Sync after each statement, in one write',
    steps: [
      step(
        [
          ...[...unnamed('select 1 as a'), sync()],
          ...[...unnamed(`select 'two' as b`), sync()],
          ...[...unnamed('select 3 as c'), sync()],
        ],
        'Z',
        3,
      ),
    ],
  },
  {
    name: 'extended: error mid-pipeline skips to Sync, the next batch runs',
    steps: [
      step(
        [
          ...unnamed('select 1 as ok'),
          ...unnamed('select 1/0'),
          ...unnamed('select 3 as skipped'),
          sync(),
          ...unnamed('select 4 as after'),
          sync(),
        ],
        'Z',
        2,
      ),
    ],
  },
  {
    name: 'extended: Flush returns replies before Sync',
    steps: [step([...unnamed('select 1 as a'), flush()], 'C'), step(sync())],
  },
  {
    name: 'extended: transaction control through Parse/Bind/Execute',
    steps: [
      step([...unnamed('begin'), sync()]),
      step([...unnamed('select 1 as in_tx'), sync()]),
      step([...unnamed('select 1/0'), sync()]),
      step([...unnamed('select 2 as ignored'), sync()]),
      step([...unnamed('rollback'), sync()]),
    ],
  },
]

const FORMATS: Sequence[] = [
  {
    name: 'extended: binary-format results',
    steps: [
      step([
        ...unnamed(
          `select 42::int4 as i, 1.5::float8 as f, true as b, 'abc'::text as t, 9000000000::int8 as n`,
          {
            resultFormats: [1],
          },
        ),
        ...unnamed(`select 7::int4 as bin, 8::int4 as txt`, { resultFormats: [1, 0] }),
        sync(),
      ]),
    ],
  },
  {
    name: 'extended: binary parameters',
    steps: [
      step([
        parse('', 'select $1 + 1 as i, $2 * 2 as j, $3::text as t', [INT4, INT8]),
        bind('', { paramFormats: [1, 1, 0], params: [int4(41), int8(4500000000n), 'text'] }),
        describe('P', ''),
        execute(),
        sync(),
      ]),
    ],
  },
  {
    name: 'extended: NULL parameters and NULL results, text and binary',
    steps: [
      step([
        ...unnamed('select $1::text is null as isnull, $1::text as v, null::int as n', { params: [null] }),
        ...unnamed('select $1::int4 as v, null::int4 as n', { params: [null], resultFormats: [1] }),
        sync(),
      ]),
    ],
  },
  {
    name: 'extended: a row over 1 MiB, and a parameter over 1 MiB',
    steps: [
      step([...unnamed(`select repeat('x', 1100000) as big`), sync()]),
      step([...unnamed('select length($1::text) as n', { params: ['y'.repeat(1_100_000)] }), sync()]),
    ],
  },
]

/** Extended-protocol scenarios with unnamed statements; named ones are in sequences-statements.ts. */
export const EXTENDED_SEQUENCES: Sequence[] = [...PIPELINES, ...FORMATS, ...STATEMENT_SEQUENCES]
