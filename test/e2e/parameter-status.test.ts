import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { parseParameterStatus } from '../../gateway/src/protocol/backend-decode.js'
import { serializeQuery, serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { directUrl, topology } from '../helpers/topology.js'

/** ParameterStatus messages received so far, as [name, value]. */
function statuses(s: RawSocket): Array<[string, string]> {
  return s.messages.filter((m) => m.code === 'S').map((m) => parseParameterStatus(m.body, 0, m.body.length))
}

describe('ParameterStatus passthrough', () => {
  let gw: TestGateway
  const user = () => topology().users.trust.username
  before(async () => {
    gw = await startTestGateway({ poolSize: 1 })
  })
  after(async () => {
    await using admin = await pgClient(directUrl())
    await admin.query(`alter role ${user()} reset default_transaction_read_only`)
    await gw.stop()
  })

  it('a client is told of a reported parameter that differs on the server it is moved to', async () => {
    const s = await RawSocket.connect(gw.port)
    s.write(serializeStartupMessage({ user: user(), database: topology().database }))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    assert.deepEqual(
      statuses(s).filter(([n]) => n === 'default_transaction_read_only'),
      [['default_transaction_read_only', 'off']],
    )
    s.write(serializeQuery('select pg_backend_pid()'))
    await s.until(() => s.messages.filter((m) => m.code === 'Z').length === 2)
    // New server connections of this role start read-only; kill the current one so the next is new.
    await using admin = await pgClient(directUrl())
    await admin.query(`alter role ${user()} set default_transaction_read_only = on`)
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [user()])
    await new Promise((r) => setTimeout(r, 300))
    s.messages.length = 0
    s.write(serializeQuery('select 1'))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    const codes = s.messages.map((m) => m.code).join('')
    assert.deepEqual(statuses(s), [['default_transaction_read_only', 'on']])
    assert.ok(codes.startsWith('S'), `the ParameterStatus comes before the replies: ${codes}`)
    s.destroy()
  })

  it('a SET of a reported parameter reaches the client as ParameterStatus', async () => {
    const s = await RawSocket.connect(gw.port)
    s.write(serializeStartupMessage({ user: user(), database: topology().database }))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    s.messages.length = 0
    s.write(serializeQuery(`set intervalstyle = 'iso_8601'`))
    await s.until(() => s.messages.some((m) => m.code === 'Z'))
    assert.deepEqual(
      statuses(s).filter(([n]) => n === 'IntervalStyle'),
      [['IntervalStyle', 'iso_8601']],
    )
    s.destroy()
  })
})
