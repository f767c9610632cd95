import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { load } from '../config/testing/fixtures.js'
import { buildPools } from '../pool/build-pools.js'
import { PoolRegistry } from '../pool/pool-registry.js'
import { MessageFramer } from '../protocol/framer.js'
import { serializeCancelRequest, serializeStartupMessage } from '../protocol/frontend.js'
import type { ClientContext, ClientTransport } from './client-context.js'
import { StartupHandler } from './client-startup.js'
import { PreparedRegistry } from './prepared-registry.js'

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

/** A startup machine over a config with a trust user `alice` in pool `app`, and what it wrote. */
function machine(authType = 'trust') {
  const config = load({ pools: { app: { users: { '0': { auth_type: authType } } } } }).config
  const pools = new PoolRegistry(buildPools(config), config.general.auth_type)
  const written: Buffer[] = []
  const context = { pools, logConnections: false, preparedStatements: new PreparedRegistry() }
  const transport = {
    write: (b: Buffer) => written.push(b) > 0,
    end() {},
    remoteAddress: 'test',
    kind: 'tcp',
  }
  const handler = new StartupHandler(context as unknown as ClientContext, transport as ClientTransport, 1)
  const framer = new MessageFramer(true)
  const feed = (bytes: Buffer) => {
    framer.push(bytes)
    return handler.drain(framer)
  }
  return { handler, feed, written, pools }
}

describe('client startup step machine', () => {
  test('an SSLRequest ends in the ssl outcome, and the StartupMessage after it is read', () => {
    const { feed, handler } = machine()
    assert.deepEqual(feed(SSL_REQUEST), { kind: 'ssl' })
    assert.equal(handler.started, false)
    const outcome = feed(serializeStartupMessage({ user: 'alice', database: 'app', TimeZone: 'UTC' }))
    assert.equal(outcome?.kind, 'authenticated')
    assert.equal(handler.started, true)
  })

  test('a second SSLRequest is refused as Postgres refuses it', () => {
    const { feed } = machine()
    feed(SSL_REQUEST)
    assert.throws(() => feed(SSL_REQUEST), /unsupported frontend protocol 1234.5679/)
  })

  test('a CancelRequest ends in the cancel outcome with its key', () => {
    const { feed } = machine()
    assert.deepEqual(feed(serializeCancelRequest(4_194_321, 77)), {
      kind: 'cancel',
      processId: 4_194_321,
      secretKey: 77,
    })
  })

  test('authenticated names user, database, pool and startup parameters, and writes nothing itself', () => {
    const { feed, written, pools } = machine()
    const outcome = feed(serializeStartupMessage({ user: 'alice', database: 'app', application_name: 'x' }))
    assert.ok(outcome?.kind === 'authenticated')
    assert.equal(outcome.user, 'alice')
    assert.equal(outcome.database, 'app')
    assert.equal(outcome.admin, false)
    assert.equal(outcome.pool, pools.get('app', 'alice'))
    assert.deepEqual([...outcome.startup.settings], [['application_name', 'x']])
    assert.equal(written.length, 0, 'trust: no auth request, and the welcome is the session’s to send')
  })

  test('a password user is asked for a password before any outcome', () => {
    const { feed, written } = machine('md5')
    assert.equal(feed(serializeStartupMessage({ user: 'alice', database: 'app' })), undefined)
    assert.equal(written.length, 1)
    assert.equal(written[0]![0], 0x52) // 'R': AuthenticationMD5Password
  })

  test('an unknown database ends the login with 3D000', () => {
    const { feed } = machine()
    assert.throws(
      () => feed(serializeStartupMessage({ user: 'alice', database: 'nope' })),
      (err: Error & { sqlstate?: string }) => err.sqlstate === '3D000',
    )
  })
})
