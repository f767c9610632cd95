import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'

describe('gateway smoke', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway()
  })
  after(() => gw.stop())

  it('answers a query through the gateway for a SCRAM user', async () => {
    await using c = await pgClient(gw.url('scram'))
    const r = await c.query('select 1 + 1 as two, current_user as who')
    assert.deepEqual(r.rows, [{ two: 2, who: 'skiff_scram' }])
  })
})
