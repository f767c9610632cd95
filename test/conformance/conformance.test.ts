/**
 * Issue 17's conformance suite: the cases of cases-*.ts, written once, run on direct Postgres and then
 * on Skiff over TCP (node-postgres), WebSocket (Neon's Client) and HTTP (`neon()`, the cases that fit
 * one request), each in transaction and session pool mode; every Skiff record must deep-equal direct
 * Postgres's. One gateway per pool mode serves all of its targets.
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl } from '../helpers/topology.js'
import { COPY_CASES } from './cases-copy.js'
import { ERROR_CASES } from './cases-errors.js'
import { QUERY_CASES } from './cases-queries.js'
import { SESSION_STATE_CASES } from './cases-session-state.js'
import { SIGNAL_CASES } from './cases-signals.js'
import { STATEMENT_CASES } from './cases-statements.js'
import { TRANSACTION_CASES } from './cases-transactions.js'
import { CREATE_FIXTURES, DROP_FIXTURES, LEDGER } from './fixtures.js'
import { describeConformance } from './harness.js'
import { failed } from './outcomes.js'
import { directTarget, type GatewayChoice, httpTarget, tcpTarget, websocketTarget } from './targets.js'

const CASES = [
  ...QUERY_CASES,
  ...ERROR_CASES,
  ...TRANSACTION_CASES,
  ...SESSION_STATE_CASES,
  ...STATEMENT_CASES,
  ...COPY_CASES,
  ...SIGNAL_CASES,
]

const gateways = new Map<GatewayChoice['mode'], TestGateway>()
const choices: GatewayChoice[] = (['transaction', 'session'] as const).map((mode) => ({
  mode,
  gateway: () => gateways.get(mode) ?? assert.fail(`no ${mode} gateway`),
}))
let admin: pg.Client & AsyncDisposable

before(async () => {
  admin = await pgClient(directUrl())
  await admin.query(CREATE_FIXTURES)
  for (const { mode } of choices) gateways.set(mode, await startTestGateway({ poolMode: mode, poolSize: 4 }))
})

after(async () => {
  await Promise.all([...gateways.values()].map((gw) => gw.stop()))
  await admin.query(DROP_FIXTURES)
  await admin[Symbol.asyncDispose]()
})

describeConformance(
  CASES,
  directTarget(),
  [...choices.map(tcpTarget), ...choices.map(websocketTarget), ...choices.map(httpTarget)],
  () => admin,
)

describe('conformance: HTTP refuses COPY (by design, with a reason)', () => {
  for (const choice of choices) {
    it(`in ${choice.mode} mode: COPY FROM STDIN and TO STDOUT get 0A000 before anything runs`, async () => {
      const conn = await httpTarget(choice).connect()
      for (const outcome of [
        await conn.copyIn(`copy ${LEDGER} from stdin`, '1\t1\tx\n'),
        await conn.copyOut(`copy ${LEDGER} to stdout`),
      ]) {
        const error = failed(outcome)
        assert.equal(error.code, '0A000')
        assert.equal(error.message, 'COPY is not available over HTTP')
        assert.match(String(error.hint), /INSERT/)
      }
    })
  }
})
