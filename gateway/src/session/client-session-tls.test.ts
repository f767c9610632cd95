import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { errorFields } from '../pool/testing/backend-summary.js'
import { serializeStartupMessage } from '../protocol/frontend.js'
import { MemoryGateway } from './testing/memory-gateway.js'

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

const gateways: MemoryGateway[] = []
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop()
})

/** A client of an in-memory gateway whose transport offers TLS; `upgrades` counts the hand-overs. */
function tlsClient() {
  const g = new MemoryGateway()
  gateways.push(g)
  const client = g.connect()
  const transport = client.transport as typeof client.transport & { startTls?: () => void; upgrades: number }
  transport.upgrades = 0
  transport.startTls = () => {
    transport.upgrades++
  }
  return { client, transport }
}

describe('ClientSession: an SSLRequest on a front that offers TLS', () => {
  it('is handed to the transport (which answers S), and the login goes on after it', async () => {
    const { client, transport } = tlsClient()
    client.send(SSL_REQUEST)
    assert.equal(transport.upgrades, 1)
    assert.equal(client.messages.length, 0, "nothing but the transport's 'S' is written")
    const welcome = await client.login({ user: 'alice', database: 'app' })
    assert.equal(welcome.at(-1)?.code, 'Z')
  })

  it('with bytes behind it in the same read is refused with 08P01 and closed (CVE-2021-23214)', () => {
    const { client, transport } = tlsClient()
    client.send(Buffer.concat([SSL_REQUEST, serializeStartupMessage({ user: 'alice', database: 'app' })]))
    assert.equal(transport.upgrades, 0)
    assert.equal(client.ended, true)
    const error = errorFields(client.messages[0]!)
    assert.equal(error.get('C'), '08P01')
    assert.equal(error.get('M'), 'received unencrypted data after SSL request')
  })
})
