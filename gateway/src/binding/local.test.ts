import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { GatewayError } from '../errors.js'
import { serializeCommandComplete, serializeReadyForQuery } from '../protocol/backend.js'
import { TxnStatus } from '../protocol/codes.js'
import { serializeQuery } from '../protocol/frontend.js'
import type { BindingClient } from './binding.js'
import { LocalBinding, type LocalResponder } from './local.js'

/** A client that records what the binding hands it. */
function recordingClient() {
  const replies: Buffer[] = []
  const client: BindingClient = {
    reply: (buf, start, end) => void replies.push(Buffer.from(buf.subarray(start, end))),
    onReadyForQuery: () => assert.fail('a local reply carries its own ReadyForQuery'),
    onParameterStatus: () => assert.fail('no server, no ParameterStatus'),
    onServerLost: (_e: GatewayError) => assert.fail('no server to lose'),
    onBatchIdle: () => assert.fail('no batch'),
    onBindFailed: () => assert.fail('nothing to bind'),
  }
  return { client, replies }
}

/** Answers `show server role` (what the router's local commands will look like) and nothing else. */
const responder: LocalResponder = (request, status) => {
  if (request.toString('latin1', 5, request.length - 1) !== 'show server role') return undefined
  return Buffer.concat([serializeCommandComplete('SHOW'), serializeReadyForQuery(status)])
}

describe('Local binding', () => {
  test('a request the responder knows is answered with no server, in the client’s status', () => {
    const { client, replies } = recordingClient()
    const local = new LocalBinding(client, responder)
    assert.equal(local.answerRequest(serializeQuery('show server role'), TxnStatus.InTransaction), true)
    assert.equal(replies.length, 1)
    assert.equal(replies[0]!.at(-1), TxnStatus.InTransaction)
    assert.equal(local.txnStatus, TxnStatus.InTransaction)
    assert.equal(local.busy, false)
  })

  test('a request it does not know is left to the server', () => {
    const { client, replies } = recordingClient()
    const local = new LocalBinding(client, responder)
    assert.equal(local.answerRequest(serializeQuery('select 1'), TxnStatus.Idle), false)
    local.send(serializeQuery('select 1'), 1)
    assert.equal(replies.length, 0)
  })

  test('answer() sends a reply the session built (DEALLOCATE of its own statements)', () => {
    const { client, replies } = recordingClient()
    const reply = Buffer.concat([
      serializeCommandComplete('DEALLOCATE'),
      serializeReadyForQuery(TxnStatus.Idle),
    ])
    new LocalBinding(client).answer(reply, TxnStatus.Idle)
    assert.deepEqual(replies, [reply])
  })
})
