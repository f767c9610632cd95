/**
 * What `/sql` requests leave in the log (issue 16, point 14): client-supplied values are cut short,
 * refused parameters are named rather than quoted, and nothing from a connection string's password
 * is written, at debug level too.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { MAX_LOGGED_CHARS, setLogLevel } from '../../gateway/src/log.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

/** POST /sql with node:http (an array value is sent as repeated header lines); resolves to the status. */
function post(
  gw: TestGateway,
  headers: Record<string, string | string[]>,
  query = 'select 1',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: gw.httpPort, path: '/sql', method: 'POST', headers },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify({ query }))
  })
}

/** Lines written to stderr while `fn` runs (still written through). */
async function stderrLines(fn: () => Promise<void>): Promise<string[]> {
  const write = process.stderr.write
  let text = ''
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    text += String(chunk)
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest)
  }) as typeof process.stderr.write
  try {
    await fn()
  } finally {
    process.stderr.write = write
  }
  return text.split('\n').filter((line) => line !== '')
}

describe('HTTP /sql: what reaches the log', () => {
  let gw: TestGateway
  const secret = `S3CRET-${process.pid}-${Date.now()}`
  before(async () => {
    setLogLevel('debug')
    gw = await startTestGateway({
      general: 'log_client_connections = true\nlog_client_disconnections = true',
    })
  })
  after(async () => {
    setLogLevel('info')
    await gw.stop()
  })

  it('a TimeZone the server refuses is refused with its own error and logged by SQLSTATE, never by value', async () => {
    const lines = await stderrLines(async () => {
      const status = await post(gw, {
        'Neon-Connection-String': `${gw.url('scram')}?TimeZone=Mars%2F${secret}`,
      })
      assert.equal(status, 400, 'refused as Postgres refuses it at login')
    })
    const closing = lines.find((l) => l.includes('closing client after error'))
    assert.ok(closing, lines.join('\n'))
    assert.match(closing, /"code":"22023"/)
    for (const line of lines) assert.ok(!line.includes(secret), line)
  })

  it('nothing from a password reaches the log: wrong passwords, two connection strings', async () => {
    const url = gw.url('scram')
    const withSecret = url.replace(encodeURIComponent(topology().users.scram.password), secret)
    const lines = await stderrLines(async () => {
      assert.equal(await post(gw, { 'Neon-Connection-String': withSecret }), 400)
      // Node would join these into one string whose TimeZone value holds the second password.
      const twice = { 'Neon-Connection-String': [`${url}?TimeZone=UTC`, withSecret] }
      assert.equal(await post(gw, twice), 400)
      assert.equal(await post(gw, { 'Neon-Connection-String': `${withSecret}?TimeZone=${secret}` }), 400)
      // What Node made of two headers, sent as one: the TimeZone (with the password of the second
      // string in it) is refused by the server, as Postgres refuses it at login; the log says 22023 only.
      const joined = `${url}?TimeZone=UTC, ${withSecret}`
      assert.equal(await post(gw, { 'Neon-Connection-String': joined }), 400)
    })
    assert.ok(lines.length > 0, 'debug logging is on')
    for (const line of lines) assert.ok(!line.includes(secret), line)
  })

  it(`client-supplied values are cut to ${MAX_LOGGED_CHARS} characters`, async () => {
    const long = 'u'.repeat(5000)
    const db = topology().database
    const lines = await stderrLines(async () => {
      // An unknown user (logged at connect and in the FATAL), then an unknown database.
      assert.equal(await post(gw, { 'Neon-Connection-String': `postgres://${long}:pw@x/${db}` }), 400)
      assert.equal(await post(gw, { 'Neon-Connection-String': `postgres://skiff_trust@x/${long}` }), 400)
    })
    const capped = `${'u'.repeat(MAX_LOGGED_CHARS)}… (5000 chars)`
    assert.ok(
      lines.some((l) => l.includes(capped)),
      `the values are logged, shortened:\n${lines.join('\n')}`,
    )
    for (const line of lines) {
      assert.ok(!line.includes('u'.repeat(MAX_LOGGED_CHARS + 1)), line.slice(0, 300))
      assert.ok(line.length <= 1000, `${line.length} characters: ${line.slice(0, 300)}`)
    }
  })
})
