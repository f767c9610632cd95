/**
 * The router is asked for every transaction, not once per login: changing a session's routing state
 * between two transactions sends the second to the other server, and a transaction already under way
 * stays where it started.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { ClientSession } from '../../gateway/src/session/client-session.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

/** The gateway-side session of a node-postgres client, found by the process id it was given. */
function sessionOf(gw: TestGateway, client: { processID: number | null }): ClientSession {
  const session = gw.gateway.clientByProcessId(client.processID!)
  assert.ok(session, 'the client is registered under the process id it received')
  return session as ClientSession
}

const inRecovery = async (client: { query(sql: string): Promise<{ rows: { r: boolean }[] }> }) =>
  (await client.query('select pg_is_in_recovery() as r')).rows[0]!.r

for (const poolMode of ['transaction', 'session'] as const) {
  describe(`routing per transaction (${poolMode} mode)`, () => {
    let gw: TestGateway
    before(async () => {
      gw = await startTestGateway({ poolMode, replicas: true, pool: 'default_role = "primary"' })
    })
    after(() => gw.stop())

    test('a changed routing state takes effect at the next transaction', async () => {
      await using client = await pgClient(gw.url())
      const session = sessionOf(gw, client as unknown as { processID: number })
      assert.equal(await inRecovery(client), false, 'the primary serves by default')
      session.routing.role = 'replica'
      if (poolMode === 'session') {
        // A session owns its server connection: it stays on it until it ends.
        assert.equal(await inRecovery(client), false)
        return
      }
      assert.equal(await inRecovery(client), true, 'the next transaction goes to a replica')
      session.routing.role = 'primary'
      assert.equal(await inRecovery(client), false, 'and back to the primary')
    })

    test('a transaction under way stays on its server', async () => {
      await using client = await pgClient(gw.url())
      const session = sessionOf(gw, client as unknown as { processID: number })
      await client.query('begin')
      assert.equal(await inRecovery(client), false)
      session.routing.role = 'replica'
      assert.equal(await inRecovery(client), false, 'still inside the transaction on the primary')
      await client.query('commit')
      assert.equal(await inRecovery(client), poolMode === 'transaction')
    })

    test('a shard the pool does not have is an error for that request only', async () => {
      await using client = await pgClient(gw.url())
      const session = sessionOf(gw, client as unknown as { processID: number })
      if (poolMode === 'session') return // the session's server was chosen at its first query
      session.routing.shard = 7
      await assert.rejects(client.query('select 1'), (err: Error & { code?: string }) => {
        assert.equal(err.code, '08P01')
        assert.match(err.message, /has no shard 7/)
        return true
      })
      session.routing.shard = 0
      assert.equal((await client.query('select 1 as one')).rows[0].one, 1)
    })
  })
}
