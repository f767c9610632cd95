/**
 * Named prepared statements and portals in the differential corpus. In transaction mode Skiff renames
 * a client's statements to gateway-wide names and prepares them on whichever server it lands on; these
 * scenarios check that the client still sees exactly what Postgres would send, errors included.
 * @module
 */
import {
  bind,
  close,
  describe,
  execute,
  parse,
  queries,
  type Sequence,
  type Step,
  send,
  step,
  sync,
  unnamed,
} from './messages.js'

/** Bind + Execute of a named statement (optionally with one text parameter), then Sync. */
const run = (name: string, ...params: string[]) => step([bind(name, { params }), execute(), sync()])

/**
 * Bind + Execute of `own` (so its gateway-wide name is prepared on this server), then in the same write
 * a Describe of every name Skiff could have given a statement (skiff_1...), each with its own Sync.
 */
function probeInternalNames(own: string, upTo: number): Step {
  const probes = Array.from({ length: upTo }, (_, i) => [describe('S', `skiff_${i + 1}`), sync()])
  return step([bind(own), execute(), sync(), ...probes.flat()], 'Z', upTo + 1)
}

const BASICS: Sequence[] = [
  {
    name: 'extended: Describe of a named statement, the unnamed statement and a portal',
    steps: [
      step([parse('diff_desc', 'select $1::int as n, $2::text as t'), describe('S', 'diff_desc'), sync()]),
      send([parse('', `select 1 as x, $1::text as y`), describe('S', ''), bind('', { params: ['v'] })]),
      step([describe('P', ''), execute(), sync()]),
      step([parse('diff_nodata', 'begin'), describe('S', 'diff_nodata'), describe('S', 'diff_none'), sync()]),
    ],
  },
  {
    name: 'extended: named statement parsed once, bound and executed across several Syncs, then closed',
    steps: [
      step([parse('diff_named', 'select $1::int * 2 as doubled'), sync()]),
      run('diff_named', '1'),
      run('diff_named', '2'),
      send([bind('diff_named', { params: ['3'] }), execute(), bind('diff_named', { params: ['4'] })]),
      step([execute(), sync()]),
      step([close('S', 'diff_named'), sync()]),
      run('diff_named', '5'),
      step([close('S', 'diff_named'), close('S', 'diff_never'), close('P', 'diff_nop'), sync()]),
    ],
  },
  {
    name: 'extended: Parse error, then Bind of the failed name',
    steps: [step([parse('diff_bad', 'selec 1'), sync()]), step([bind('diff_bad'), execute(), sync()])],
  },
  {
    name: 'extended: Execute with a row limit inside a transaction (PortalSuspended)',
    steps: [
      ...queries('begin'),
      send([parse('', 'select g from generate_series(1, 5) g'), bind('', { portal: 'diff_cur' })]),
      step([execute('diff_cur', 2), sync()]),
      step([execute('diff_cur', 2), sync()]),
      step([execute('diff_cur', 2), sync()]),
      step([close('P', 'diff_cur'), execute('diff_cur', 1), sync()]),
      ...queries('commit'),
    ],
  },
  {
    name: 'extended: SQL DEALLOCATE of a protocol-level statement, then its use fails',
    steps: [
      step([parse('diff_dealloc', 'select 5 as five'), sync()]),
      ...queries('deallocate diff_dealloc'),
      run('diff_dealloc'),
      ...queries('deallocate diff_dealloc'),
    ],
  },
]

/** Where Postgres refuses or fails a statement operation; Skiff must refuse it the same way. */
const REFUSALS: Sequence[] = [
  {
    name: 'extended: Parse of a name already in use fails with 42P05 (same text, then other text)',
    steps: [
      step([parse('diff_dup', 'select 1 as a'), sync()]),
      step([parse('diff_dup', 'select 1 as a'), sync()]),
      step([parse('diff_dup', 'select 2 as b'), sync()]),
      run('diff_dup'),
    ],
  },
  {
    name: 'extended: a named Parse skipped after an error leaves the name undefined for the next batch',
    steps: [
      step([parse('diff_first', 'select 4 as four'), sync()]),
      step(
        [
          ...unnamed('select 1/0'),
          parse('diff_skipped', 'select 4 as four'),
          sync(),
          bind('diff_skipped'),
          execute(),
          sync(),
        ],
        'Z',
        2,
      ),
      step(
        [
          ...unnamed('select 1/0'),
          parse('diff_skipped2', 'select 6'),
          sync(),
          bind('diff_skipped2'),
          execute(),
          sync(),
        ],
        'Z',
        2,
      ),
    ],
  },
  {
    name: 'extended: DEALLOCATE in a failed transaction is refused (25P02) and the statement stays',
    steps: [
      step([parse('diff_keep', 'select 6 as six'), sync()]),
      ...queries('begin', 'select 1/0', 'deallocate diff_keep', 'rollback'),
      run('diff_keep'),
    ],
  },
  {
    name: 'extended: a statement name the client never prepared is unknown, even one Skiff uses itself',
    steps: [step([parse('diff_own', 'select 7 as own'), sync()]), probeInternalNames('diff_own', 60)],
  },
]

export const STATEMENT_SEQUENCES: Sequence[] = [...BASICS, ...REFUSALS]
