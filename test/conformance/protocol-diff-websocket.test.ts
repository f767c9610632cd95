/**
 * The protocol-diff corpus over Skiff's WebSocket front (issue 17): every sequence of
 * test/protocol-diff/sequences*.ts is sent to Postgres directly over TCP and to Skiff over a WebSocket
 * (binary frames of the same wire bytes, as the Neon driver sends them), in each pool mode, and the
 * replies are compared exactly as the TCP variant compares them (test/protocol-diff/compare.ts).
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serializeQuery, serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'
import { diffLogin, diffReplies } from '../protocol-diff/compare.js'
import { queries } from '../protocol-diff/messages.js'
import { type Dial, runSequence } from '../protocol-diff/run-sequence.js'
import { SEQUENCES } from '../protocol-diff/sequences.js'
import { openWebSocket } from './ws-stream.js'

/** A raw protocol connection over a WebSocket to the gateway's HTTP port. */
const overWebSocket =
  (gw: TestGateway): Dial =>
  async () =>
    RawSocket.fromStream(await openWebSocket(gw.httpPort))

/**
 * The first Query sent right behind the StartupMessage, before any reply, as Neon's default
 * pipelineConnect sends its first query; over 256 KiB, the WebSocket's limit before login.
 */
async function pipelinedBigQuery(socket: RawSocket): Promise<string> {
  const { users, database } = topology()
  const query = serializeQuery(`select length('${'x'.repeat(300_000)}') as n`)
  socket.write(Buffer.concat([serializeStartupMessage({ user: users.trust.username, database }), query]))
  const readies = () => socket.messages.filter((m) => m.code === 'Z').length
  await socket.until(() => readies() >= 2 || socket.closed, 15_000)
  socket.destroy()
  const afterLogin = socket.messages.slice(socket.messages.findIndex((m) => m.code === 'Z') + 1)
  return `${afterLogin.map((m) => m.code).join('')}${socket.closed && readies() < 2 ? ' (closed)' : ''}`
}

for (const poolMode of ['transaction', 'session'] as const) {
  describe(`protocol diff over WebSocket: Postgres vs Skiff in ${poolMode} mode`, () => {
    let gw: TestGateway
    before(async () => {
      gw = await startTestGateway({ poolMode, poolSize: 2 })
    })
    after(() => gw.stop())

    for (const sequence of SEQUENCES) {
      it(sequence.name, async () => {
        const postgres = await runSequence(topology().primary.port, sequence)
        const skiff = await runSequence(gw.httpPort, sequence, overWebSocket(gw))
        const chosen = Object.keys(sequence.startup ?? {})
        const problems = [
          diffLogin(postgres.login, skiff.login, chosen),
          diffReplies(postgres.replies, skiff.replies),
        ]
        const found = problems.filter((p) => p !== undefined)
        if (found.length > 0) assert.fail(`${sequence.name}\n${found.join('\n')}`)
      })
    }

    it('a 300 KiB Query pipelined behind the StartupMessage is answered after the login', {
      todo:
        'documented: over WebSocket the frames that arrive together with the StartupMessage are read ' +
        'before authentication and may hold at most 256 KiB (README, Differences from Postgres); ' +
        'Postgres and Skiff over TCP read the query once the login is done',
    }, async () => {
      const postgres = await pipelinedBigQuery(await RawSocket.connect(topology().primary.port))
      assert.equal(postgres, 'TDCZ')
      assert.equal(await pipelinedBigQuery(await RawSocket.connect(gw.port)), postgres, 'Skiff over TCP')
      assert.equal(await pipelinedBigQuery(await overWebSocket(gw)()), postgres, 'Skiff over WebSocket')
    })

    it('live WebSocket transcripts that differ are reported (self-check of the WebSocket path)', async () => {
      const postgres = await runSequence(topology().primary.port, { name: 'one', steps: queries('select 1') })
      const skiff = await runSequence(
        gw.httpPort,
        { name: 'two', steps: queries('select 2') },
        overWebSocket(gw),
      )
      assert.equal(diffLogin(postgres.login, skiff.login), undefined)
      assert.match(
        diffReplies(postgres.replies, skiff.replies) ?? '',
        /DataRow \["1"\][\s\S]*DataRow \["2"\]/,
      )
    })
  })
}
