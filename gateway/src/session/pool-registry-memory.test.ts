import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import { errorFields, summaries } from '../pool/testing/backend-summary.js'
import { MemoryConnector } from '../pool/testing/memory-connector.js'
import { MemoryGateway, memoryGatewayConfig } from './testing/memory-gateway.js'

const gateways: MemoryGateway[] = []
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop()
})

describe('pool registry: sessions look their pool up again after a swap', () => {
  it('a logged-in client moves to the new pool at its next transaction, without being dropped', async () => {
    const g = new MemoryGateway()
    gateways.push(g)
    const client = await g.login()
    await client.query('select 1')
    const old = g.serverPool()
    assert.equal(old.stats.checkouts, 1)
    const fresh = buildPools(load(memoryGatewayConfig()).config, new MemoryConnector(g.cluster))
    const replaced = g.gateway.pools.swap(fresh)
    assert.equal(summaries(await client.query('select 2')).at(-1), 'ReadyForQuery:I')
    const now = g.serverPool()
    assert.notEqual(now, old)
    assert.equal(now.stats.checkouts, 1, 'the second transaction checked out of the new pool')
    assert.equal(old.stats.checkouts, 1, 'and none of the old one')
    for (const users of replaced.values())
      for (const pool of users.values()) for (const sp of pool.serverPools()) sp.close()
  })

  it('a client whose pool a swap removed gets FATAL 57P01 naming it at its next transaction', async () => {
    const g = new MemoryGateway()
    gateways.push(g)
    const client = await g.login()
    const withoutApp = buildPools(load(memoryGatewayConfig()).config, new MemoryConnector(g.cluster))
    withoutApp.delete('app')
    g.gateway.pools.swap(withoutApp)
    const replies = await client.query('select 1')
    const error = replies.find((m) => m.code === 'E')
    assert.ok(error, summaries(replies).join(' '))
    const fields = errorFields(error)
    assert.equal(fields.get('C'), '57P01')
    assert.equal(fields.get('S'), 'FATAL')
    assert.match(fields.get('M') ?? '', /app\/alice was removed/)
    assert.equal(client.transport.ended, true)
  })
})
