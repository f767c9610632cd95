/**
 * Scenarios where the number of ReadyForQuery messages is not one per Query or Sync sent: an error in
 * an extended-protocol message makes Postgres discard everything up to the next Sync (a Query or a
 * FunctionCall included), and COPY FROM STDIN reads the Syncs sent during it. A gateway that counts
 * Syncs instead of modelling this waits forever for a ReadyForQuery and pins its server connection
 * (issue 16, points 4 and 16). Each runs in the differential corpus and in the pinning test.
 * @module
 */
import { FrontendCode } from '../../gateway/src/protocol/codes.js'
import { MessageWriter } from '../../gateway/src/protocol/writer.js'
import {
  bind,
  copyData,
  copyDone,
  copyFail,
  describe,
  execute,
  parse,
  queries,
  query,
  type Sequence,
  step,
  sync,
} from './messages.js'

/** OID of abs(int4) (`int4abs`), fixed in pg_proc.dat since Postgres 7. */
const INT4ABS = 1397

/** FunctionCall of a one-argument function, text argument and result. */
export function functionCall(oid: number, arg: string): Buffer {
  const w = new MessageWriter().begin(FrontendCode.FunctionCall).int32(oid)
  w.int16(1).int16(0) // argument formats: text
  const bytes = Buffer.from(arg)
  w.int16(1).int32(bytes.length).bytes(bytes)
  return w.int16(0).end().finish() // result format: text
}

const SCRATCH = 'create temp table sync_copy (a int, b text) on commit drop'
const READ_BACK = `select a + 0 as a, b || '' as b from sync_copy order by a`

/** The scenarios; `pinning: true` ones are also run by the pinning test, a client at a time. */
export const SYNC_SEQUENCES: Sequence[] = [
  {
    name: 'Parse with an error + Query + Sync: one ReadyForQuery, the Query discarded',
    steps: [step([parse('', 'selec 1'), query('select 1 as skipped'), sync()]), ...queries('select 2 as b')],
  },
  {
    name: 'Bind of an unknown statement + Query + Sync: one ReadyForQuery',
    steps: [step([bind('no_such_statement'), query('select 1 as skipped'), sync()]), ...queries('select 2')],
  },
  {
    name: 'Parse with an error + FunctionCall + Sync: one ReadyForQuery',
    steps: [step([parse('', 'selec 1'), functionCall(INT4ABS, '-5'), sync()]), ...queries('select 3')],
  },
  {
    name: 'FunctionCall on its own: FunctionCallResponse and ReadyForQuery',
    steps: [step(functionCall(INT4ABS, '-7')), ...queries('select 4')],
  },
  {
    name: 'a Sync inside a simple-Query COPY FROM STDIN is read by the COPY',
    steps: [
      ...queries('begin', SCRATCH),
      step(query('copy sync_copy from stdin'), 'G'),
      step([copyData('1\tone\n'), sync(), copyData('2\ttwo\n'), copyDone()]),
      ...queries(READ_BACK, 'commit'),
    ],
  },
  {
    name: "libpq's PQexecParams COPY: Parse Bind Describe Execute Sync, then CopyData CopyDone Sync",
    steps: [
      ...queries('begin', SCRATCH),
      step([parse('', 'copy sync_copy from stdin'), bind(''), describe('P', ''), execute(''), sync()], 'G'),
      step([copyData('5\tfive\n'), copyData('6\tsix\n'), copyDone(), sync()]),
      ...queries(READ_BACK, 'commit'),
    ],
  },
  {
    name: 'CopyFail in an extended-protocol COPY: error, then nothing until the next Sync',
    steps: [
      ...queries('begin', SCRATCH),
      step([parse('', 'copy sync_copy from stdin'), bind(''), execute(''), sync()], 'G'),
      step([copyFail('changed my mind'), sync()]),
      ...queries('rollback', 'select 5 as after'),
    ],
  },
  {
    name: 'bad data in an extended-protocol COPY: the rest is discarded until the Sync',
    steps: [
      ...queries('begin', SCRATCH),
      step([parse('', 'copy sync_copy from stdin'), bind(''), execute(''), sync()], 'G'),
      step([copyData('x\ty\n'), copyData('8\teight\n'), copyDone(), sync()]),
      ...queries('rollback', 'select 6 as after'),
    ],
  },
  {
    name: 'an error at Sync (a deferred constraint at commit) is followed by its ReadyForQuery',
    steps: [
      // A real table (a temp one's schema name differs per backend, and in transaction mode it would
      // not outlive its transaction); both sides run one after the other.
      ...queries(
        'create table sync_fk (id int primary key, parent int references sync_fk deferrable initially deferred)',
      ),
      step([parse('', 'insert into sync_fk values (1, 99)'), bind(''), execute(''), sync()]),
      ...queries('select count(*) as rows from sync_fk', 'drop table sync_fk'),
    ],
  },
]
