/**
 * Differential test: every corpus sequence is sent to Postgres directly and through Skiff (in each pool
 * mode) on fresh raw connections, and the replies are compared byte for byte after login. The login
 * replies are compared with the normalizations documented in compare.ts.
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  serializeAuthenticationOk,
  serializeBackendKeyData,
  serializeCommandComplete,
  serializeParameterStatus,
  serializeReadyForQuery,
} from '../../gateway/src/protocol/backend.js'
import { BackendCode } from '../../gateway/src/protocol/codes.js'
import { MessageWriter } from '../../gateway/src/protocol/writer.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import type { RawMessage } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'
import { diffLogin, diffReplies } from './compare.js'
import { queries } from './messages.js'
import { runSequence } from './run-sequence.js'
import { SEQUENCES } from './sequences.js'

const msg = (bytes: Buffer): RawMessage => ({ code: String.fromCharCode(bytes[0]!), body: bytes })

/** A one-column text DataRow. */
function dataRow(value: string): RawMessage {
  const bytes = Buffer.from(value)
  return msg(
    new MessageWriter().begin(BackendCode.DataRow).int16(1).int32(bytes.length).bytes(bytes).end().finish(),
  )
}

const done = (tag: string) => [msg(serializeCommandComplete(tag)), msg(serializeReadyForQuery(0x49))]

function welcome(key: number, params: Record<string, string>, status = 0x49): RawMessage[] {
  const ps = Object.entries(params).map(([n, v]) => msg(serializeParameterStatus(n, v)))
  const tail = [msg(serializeBackendKeyData(key, key * 7)), msg(serializeReadyForQuery(status))]
  return [msg(serializeAuthenticationOk()), ...ps, ...tail]
}

describe('protocol diff: the comparison can fail', () => {
  it('equal reply streams compare equal', () => {
    assert.equal(
      diffReplies([dataRow('a'), ...done('SELECT 1')], [dataRow('a'), ...done('SELECT 1')]),
      undefined,
    )
  })

  it('a differing DataRow is reported, decoded', () => {
    const problem = diffReplies([dataRow('a'), ...done('SELECT 1')], [dataRow('b'), ...done('SELECT 1')])
    assert.match(problem ?? '', /first difference at message #0/)
    assert.match(
      problem ?? '',
      /postgres: 'D' len \d+ DataRow \["a"\]\n {4}skiff: {4}'D' len \d+ DataRow \["b"\]/,
    )
  })

  it('an extra or missing message is reported', () => {
    assert.match(
      diffReplies(done('SELECT 0'), [dataRow('x'), ...done('SELECT 0')]) ?? '',
      /codes:\s+CZ\n.*DCZ/,
    )
    assert.match(diffReplies(done('SELECT 0'), done('SELECT 0').slice(0, 1)) ?? '', /skiff: +\(no message\)/)
  })

  it('login: only BackendKeyData may differ (application_name must match, issue 16 point 9)', () => {
    const base = { TimeZone: 'UTC', application_name: '' }
    assert.equal(diffLogin(welcome(1, base), welcome(2, base)), undefined)
    assert.match(
      diffLogin(welcome(1, base), welcome(2, { ...base, application_name: 'skiff' })) ?? '',
      /application_name/,
    )
    assert.match(diffLogin(welcome(1, base), welcome(1, { ...base, TimeZone: 'CET' })) ?? '', /TimeZone/)
    assert.match(diffLogin(welcome(1, base), welcome(1, { TimeZone: 'UTC' })) ?? '', /parameter names/)
    assert.match(diffLogin(welcome(1, base), welcome(1, base, 0x54)) ?? '', /ReadyForQuery T/)
  })
})

for (const poolMode of ['transaction', 'session'] as const) {
  describe(`protocol diff: Postgres vs Skiff in ${poolMode} mode`, () => {
    let gw: TestGateway
    before(async () => {
      gw = await startTestGateway({ poolMode, poolSize: 2 })
    })
    after(() => gw.stop())

    for (const sequence of SEQUENCES) {
      it(sequence.name, async () => {
        const postgres = await runSequence(topology().primary.port, sequence)
        const skiff = await runSequence(gw.port, sequence)
        const chosen = Object.keys(sequence.startup ?? {})
        const problems = [
          diffLogin(postgres.login, skiff.login, chosen),
          diffReplies(postgres.replies, skiff.replies),
        ]
        const found = problems.filter((p) => p !== undefined)
        if (found.length > 0) assert.fail(`${sequence.name}\n${found.join('\n')}`)
      })
    }

    it('live transcripts that differ are reported (self-check of the live path)', async () => {
      const postgres = await runSequence(topology().primary.port, { name: 'one', steps: queries('select 1') })
      const skiff = await runSequence(gw.port, { name: 'two', steps: queries('select 2') })
      assert.equal(diffLogin(postgres.login, skiff.login), undefined)
      assert.match(
        diffReplies(postgres.replies, skiff.replies) ?? '',
        /DataRow \["1"\][\s\S]*DataRow \["2"\]/,
      )
    })
  })
}
