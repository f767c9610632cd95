/**
 * Reply streams of several servers and the one stream the client should get for them, for the reply
 * merger's tests. Every floating message (row, COPY data, notice, notification, ParameterStatus) names
 * its server as "s<i>" so a test can tell whose it is; `expected` lists each result's rows server by
 * server, the order the merger gives when server 0's replies all arrive first.
 * @module
 */
import {
  serializeBindComplete,
  serializeCloseComplete,
  serializeCommandComplete,
  serializeCopyData,
  serializeCopyDone,
  serializeCopyOutResponse,
  serializeDataRow,
  serializeEmptyQueryResponse,
  serializeErrorResponse,
  serializeNoData,
  serializeNoticeResponse,
  serializeNotificationResponse,
  serializeParameterDescription,
  serializeParameterStatus,
  serializeParseComplete,
  serializePortalSuspended,
  serializeReadyForQuery,
  serializeRowDescription,
} from '../backend.js'

/** One case: each server's messages, and what the client gets. */
export interface Scenario {
  name: string
  servers: Buffer[][]
  expected: Buffer[]
  /** An error may stop servers' rows early: each server's rows in the output are a prefix of these. */
  cut?: boolean
  /** ReadyForQuery messages the client is owed (default 1). */
  ready?: number
}

const INT4 = 23
const TEXT = 25
const T = (...types: number[]) =>
  serializeRowDescription(types.map((typeOid, i) => ({ name: `c${i + 1}`, typeOid })))
const T2 = T(TEXT, INT4)
const row = (server: number, n: number) => serializeDataRow([`s${server}`, String(n)])
const C = serializeCommandComplete
const Z = (status: 'I' | 'T' | 'E' = 'I') => serializeReadyForQuery(status.charCodeAt(0))
const E = (message: string, code = '22012', detail?: string) =>
  serializeErrorResponse({ severity: 'ERROR', code, message, detail })
const N = (server: number) =>
  serializeNoticeResponse({ severity: 'NOTICE', code: '00000', message: `s${server} says hello` })
const A = (server: number) => serializeNotificationResponse(1000 + server, `s${server}`, 'ping')
const S = (server: number) => serializeParameterStatus('application_name', `s${server}`)
const copy = (server: number, n: number) => serializeCopyData(Buffer.from(`s${server}\t${n}\n`))
const [P1, B2, C3, Pd, Nd, Ps] = [
  serializeParseComplete(),
  serializeBindComplete(),
  serializeCloseComplete(),
  serializeParameterDescription([INT4]),
  serializeNoData(),
  serializePortalSuspended(),
]
const divisionByZero = E('division by zero')
const noRelation = E('relation "t" does not exist', '42P01')

/** The scenarios every cut and order is tried on. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'rows from both servers, one RowDescription, counts summed',
    servers: [
      [T2, row(0, 1), row(0, 2), C('SELECT 2'), Z()],
      [T2, row(1, 1), row(1, 2), row(1, 3), C('SELECT 3'), Z()],
    ],
    expected: [T2, row(0, 1), row(0, 2), row(1, 1), row(1, 2), row(1, 3), C('SELECT 5'), Z()],
  },
  {
    name: 'a server that returns no rows',
    servers: [
      [T2, C('SELECT 0'), Z()],
      [T2, row(1, 1), C('SELECT 1'), Z()],
    ],
    expected: [T2, row(1, 1), C('SELECT 1'), Z()],
  },
  {
    name: 'a multi-statement query inside a transaction',
    servers: [
      [C('BEGIN'), C('INSERT 0 1'), T2, row(0, 1), C('SELECT 1'), C('UPDATE 4'), Z('T')],
      [C('BEGIN'), C('INSERT 0 2'), T2, row(1, 1), row(1, 2), C('SELECT 2'), C('UPDATE 0'), Z('T')],
    ],
    expected: [
      C('BEGIN'),
      C('INSERT 0 3'),
      T2,
      row(0, 1),
      row(1, 1),
      row(1, 2),
      C('SELECT 3'),
      C('UPDATE 4'),
      Z('T'),
    ],
  },
  {
    name: 'an empty query',
    servers: [
      [serializeEmptyQueryResponse(), Z()],
      [serializeEmptyQueryResponse(), Z()],
    ],
    expected: [serializeEmptyQueryResponse(), Z()],
  },
  {
    name: 'row types that differ: 42804 and nothing else of the query',
    servers: [
      [T2, row(0, 1), C('SELECT 1'), Z()],
      [T(TEXT, TEXT), row(1, 1), C('SELECT 1'), Z()],
    ],
    expected: [
      E(
        'different row types on server 0 and server 1',
        '42804',
        'Column 2 ("c2") has type OID 23 on server 0 and 25 on server 1.',
      ),
      Z(),
    ],
  },
  {
    name: 'one server fails after some rows: its error, the rows that went out before it',
    servers: [
      [T2, row(0, 1), row(0, 2), divisionByZero, Z()],
      [T2, row(1, 1), row(1, 2), row(1, 3), C('SELECT 3'), Z()],
    ],
    expected: [T2, row(0, 1), row(0, 2), row(1, 1), row(1, 2), row(1, 3), divisionByZero, Z()],
    cut: true,
  },
  {
    name: 'one server fails before its RowDescription: no rows; a NOTIFY still passes',
    servers: [
      [T2, row(0, 1), A(0), C('SELECT 1'), Z()],
      [noRelation, Z()],
    ],
    expected: [noRelation, A(0), Z()],
  },
  {
    name: 'an error inside a transaction: the client sees it failed (E wins over T)',
    servers: [
      [C('BEGIN'), T2, row(0, 1), C('SELECT 1'), Z('T')],
      [C('BEGIN'), divisionByZero, Z('E')],
    ],
    expected: [C('BEGIN'), divisionByZero, Z('E')],
  },
  {
    name: 'the same error on every server goes out once',
    servers: [
      [T2, row(0, 1), divisionByZero, Z()],
      [T2, row(1, 1), divisionByZero, Z()],
    ],
    expected: [T2, row(0, 1), row(1, 1), divisionByZero, Z()],
    cut: true,
  },
  {
    name: 'extended protocol: three Syncs, a portal suspended on one server only, NoData',
    servers: [
      [P1, Pd, T2, B2, row(0, 1), C('SELECT 1'), Z(), B2, row(0, 2), row(0, 3), Ps, Z(), C3, P1, Pd, Nd, Z()],
      [P1, Pd, T2, B2, row(1, 1), C('SELECT 1'), Z(), B2, row(1, 2), C('SELECT 1'), Z(), C3, P1, Pd, Nd, Z()],
    ],
    expected: [
      ...[P1, Pd, T2, B2, row(0, 1), row(1, 1), C('SELECT 2'), Z()],
      ...[B2, row(0, 2), row(0, 3), row(1, 2), Ps, Z()],
      ...[C3, P1, Pd, Nd, Z()],
    ],
    ready: 3,
  },
  {
    name: 'extended protocol: a Parse that fails on one server',
    servers: [
      [noRelation, Z()],
      [P1, B2, row(1, 1), C('SELECT 1'), Z()],
    ],
    expected: [noRelation, Z()],
  },
  {
    name: 'notices and notifications from every server, ParameterStatus from server 0 only',
    servers: [
      [N(0), S(0), T2, row(0, 1), C('SELECT 1'), Z()],
      [N(1), A(1), S(1), T2, row(1, 1), C('SELECT 1'), Z()],
    ],
    expected: [N(0), S(0), N(1), A(1), T2, row(0, 1), row(1, 1), C('SELECT 2'), Z()],
  },
  {
    name: 'COPY TO STDOUT: one CopyOutResponse, every server’s data, one CopyDone, COPY n summed',
    servers: [
      [serializeCopyOutResponse(0, [0, 0]), copy(0, 1), copy(0, 2), serializeCopyDone(), C('COPY 2'), Z()],
      [serializeCopyOutResponse(0, [0, 0]), copy(1, 1), serializeCopyDone(), C('COPY 1'), Z()],
    ],
    expected: [
      ...[serializeCopyOutResponse(0, [0, 0]), copy(0, 1), copy(0, 2), copy(1, 1)],
      ...[serializeCopyDone(), C('COPY 3'), Z()],
    ],
  },
  {
    name: 'three servers, two pipelined queries',
    servers: [
      [T2, row(0, 1), C('SELECT 1'), Z(), C('BEGIN'), Z('T')],
      [T2, row(1, 1), C('SELECT 1'), Z(), C('BEGIN'), Z('T')],
      [T2, C('SELECT 0'), Z(), C('BEGIN'), Z('T')],
    ],
    expected: [T2, row(0, 1), row(1, 1), C('SELECT 2'), Z(), C('BEGIN'), Z('T')],
    ready: 2,
  },
  {
    name: 'different command tags: 0A000',
    servers: [
      [C('CREATE TABLE'), Z()],
      [C('CREATE INDEX'), Z()],
    ],
    expected: [
      E(
        'server 0 and server 1 completed different commands',
        '0A000',
        'server 0 sent "CREATE TABLE", server 1 sent "CREATE INDEX".',
      ),
      Z(),
    ],
  },
  {
    name: 'different kinds of reply: 0A000',
    servers: [
      [T2, row(0, 1), C('SELECT 1'), Z()],
      [C('UPDATE 1'), Z()],
    ],
    expected: [
      E(
        'server 0 and server 1 answered the same request differently',
        '0A000',
        'server 0 sent RowDescription where server 1 sent CommandComplete.',
      ),
      Z(),
    ],
  },
]
