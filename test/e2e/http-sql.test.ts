/**
 * The `/sql` contract at the HTTP level (fetch, no driver): response shape, CORS, bad requests, limits,
 * timeouts, API tokens, routing headers, health and readiness.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl } from '../helpers/topology.js'

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuv'

interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function post(gw: TestGateway, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
    method: 'POST',
    headers: {
      'Neon-Connection-String': gw.url('scram'),
      'Neon-Raw-Text-Output': 'true',
      'Neon-Array-Mode': 'true',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

describe('HTTP /sql contract', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({
      replicas: true,
      pool: 'default_role = "primary"',
      http: `max_response_bytes = 20000
request_timeout = 400
[[http.api_tokens]]
token = "${TOKEN}"
username = "skiff_scram"`,
    })
  })
  after(() => gw.stop())

  it('answers a query with Neon keys in Neon order, text cells and CORS', async () => {
    const r = await post(gw, { query: "select 1::int as id, 'a'::text as name, null::bool as b", params: [] })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    assert.equal(
      JSON.stringify(r.body),
      JSON.stringify({
        fields: [
          {
            name: 'id',
            dataTypeID: 23,
            tableID: 0,
            columnID: 0,
            dataTypeSize: 4,
            dataTypeModifier: -1,
            format: 'text',
          },
          {
            name: 'name',
            dataTypeID: 25,
            tableID: 0,
            columnID: 0,
            dataTypeSize: -1,
            dataTypeModifier: -1,
            format: 'text',
          },
          {
            name: 'b',
            dataTypeID: 16,
            tableID: 0,
            columnID: 0,
            dataTypeSize: 1,
            dataTypeModifier: -1,
            format: 'text',
          },
        ],
        rows: [['1', 'a', null]],
        command: 'SELECT',
        rowCount: 1,
        rowAsArray: true,
      }),
    )
  })

  it('without the raw-text and array-mode headers, rows are objects with JSON-typed values', async () => {
    const r = await post(
      gw,
      {
        query: `select 1::int as i, 2::int8 as big, true as t, '{"a":1}'::jsonb as j, '{1,NULL}'::int[] as arr, 'NaN'::float8 as nan`,
      },
      { 'Neon-Raw-Text-Output': 'false', 'Neon-Array-Mode': 'false' },
    )
    assert.deepStrictEqual(r.body.rows, [
      { i: 1, big: '2', t: true, j: { a: 1 }, arr: [1, null], nan: 'NaN' },
    ])
    assert.equal(r.body.rowAsArray, false)
  })

  it('answers OPTIONS /sql for browsers', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/sql`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    })
    assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`)
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    assert.equal(res.headers.get('access-control-max-age'), '86400')
    const allowed = res.headers.get('access-control-allow-headers')?.toLowerCase() ?? ''
    for (const h of ['neon-connection-string', 'neon-batch-deferrable', 'authorization'])
      assert.ok(allowed.includes(h), h)
  })

  it('bad requests get 400 JSON that says what is wrong', async () => {
    const cases: [unknown, Record<string, string>, RegExp][] = [
      ['{not json', {}, /not valid JSON/],
      [{ nope: 1 }, {}, /invalid request body/],
      [{ query: 'select 1', params: 'x' }, {}, /params/],
      [{ query: 'select 1' }, { 'Neon-Connection-String': '' }, /missing Neon-Connection-String/],
      [{ query: 'select 1' }, { 'Neon-Connection-String': 'mysql://u:p@h/db' }, /incorrect scheme/],
      [{ query: 'select 1' }, { 'Neon-Connection-String': 'postgres://skiff_scram@h/skiff' }, /no password/],
      [{ queries: [] }, { 'Neon-Batch-Isolation-Level': 'Chaos' }, /invalid isolation level/],
      [{ query: 'select 1' }, { 'Skiff-Shard': '1' }, /Skiff-Shard: shard 1 is not configured/],
    ]
    for (const [body, headers, message] of cases) {
      const r = await post(gw, body, headers)
      assert.equal(r.status, 400, String(message))
      assert.match(String(r.body.message), message)
      assert.match(String(r.body.code), /^[0-9A-Z]{5}$/, 'a real SQLSTATE')
    }
  })

  it('an unknown user gets 28P01 like a wrong password, over HTTP and with a token for another pool', async () => {
    const r = await post(
      gw,
      { query: 'select 1' },
      { 'Neon-Connection-String': gw.url('scram').replace('skiff_scram:', 'nobody:') },
    )
    assert.deepStrictEqual([r.status, r.body.code], [400, '28P01'])
    assert.equal(r.body.message, 'password authentication failed for user "nobody"')
  })

  it('a trust user needs no password', async () => {
    const r = await post(
      gw,
      { query: 'select current_user as u' },
      { 'Neon-Connection-String': gw.url('trust').replace(/:[^:@/]+@/, '@') },
    )
    assert.deepStrictEqual(r.body.rows, [['skiff_trust']])
  })

  it('never echoes a password in an error', async () => {
    const r = await post(
      gw,
      { query: 'select 1' },
      { 'Neon-Connection-String': gw.url('scram').replace('skiff_scram_pw', 'sekrit-pw') },
    )
    assert.equal(r.body.code, '28P01')
    assert.ok(!JSON.stringify(r.body).includes('sekrit-pw'))
  })

  it('a response over max_response_bytes gets 507, and the gateway keeps serving', async () => {
    const r = await post(gw, { query: "select repeat('x', 100) from generate_series(1, 1000)" })
    assert.equal(r.status, 507)
    assert.match(String(r.body.message), /response is too large \(max is 20000 bytes\)/)
    assert.equal((await post(gw, { query: 'select 1' })).status, 200)
    // Multi-byte text: fewer characters than the limit, more bytes once sent.
    const wide = await post(gw, { query: "select repeat('€', 1000) from generate_series(1, 8)" })
    assert.equal(wide.status, 507)
  })

  it('a request over request_timeout is cancelled on the server and gets 57014', async () => {
    const started = Date.now()
    const r = await post(gw, { query: "select pg_sleep(5), 'http-timeout-probe'" })
    assert.equal(r.status, 400)
    assert.equal(r.body.code, '57014')
    assert.ok(Date.now() - started < 3000)
    await using su = await pgClient(directUrl())
    for (let i = 0; i < 50; i++) {
      const { rows } = await su.query(
        "select count(*)::int as n from pg_stat_activity where query like '%http-timeout-probe%' and state = 'active' and pid <> pg_backend_pid()",
      )
      if (rows[0].n === 0) return
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.fail('the timed-out query is still running on the server')
  })

  it('a caller that hangs up mid-query gets its query cancelled on the server', async () => {
    const patient = await startTestGateway() // request_timeout 15 s: only the hang-up can stop the query
    after(() => patient.stop())
    const probe = `caller-gone-${process.pid}-${Date.now()}`
    const abort = new AbortController()
    const request = fetch(`http://127.0.0.1:${patient.httpPort}/sql`, {
      method: 'POST',
      headers: { 'Neon-Connection-String': patient.url('scram') },
      body: JSON.stringify({ query: `select pg_sleep(3), '${probe}'` }),
      signal: abort.signal,
    })
    const settled = request.then(
      () => 'answered',
      () => 'aborted',
    )
    await using su = await pgClient(directUrl())
    const running = async () =>
      (
        await su.query(
          "select count(*)::int as n from pg_stat_activity where query like '%' || $1 || '%' and state = 'active' and pid <> pg_backend_pid()",
          [probe],
        )
      ).rows[0].n as number
    for (let i = 0; i < 40 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 25))
    assert.equal(await running(), 1, 'the query started')
    abort.abort()
    assert.equal(await settled, 'aborted')
    for (let i = 0; i < 40 && (await running()) > 0; i++) await new Promise((r) => setTimeout(r, 25))
    assert.equal(await running(), 0, 'the query was cancelled well before its 3 s')
  })

  it('an API token logs in without a password; a bad or foreign token is refused', async () => {
    const noPassword = gw.url('scram').replace(':skiff_scram_pw', '')
    const ok = await post(
      gw,
      { query: 'select current_user as u' },
      { 'Neon-Connection-String': noPassword, Authorization: `Bearer ${TOKEN}` },
    )
    assert.deepStrictEqual(ok.body.rows, [['skiff_scram']])
    const bad = await post(
      gw,
      { query: 'select 1' },
      { 'Neon-Connection-String': noPassword, Authorization: 'Bearer nope' },
    )
    assert.deepStrictEqual([bad.status, bad.body.code, bad.body.message], [400, '28000', 'invalid API token'])
    const md5 = gw.url('md5').replace(':skiff_md5_pw', '')
    const foreign = await post(
      gw,
      { query: 'select 1' },
      { 'Neon-Connection-String': md5, Authorization: `Bearer ${TOKEN}` },
    )
    assert.equal(foreign.body.code, '28000')
  })

  it('Skiff-Role: replica runs on a replica; by default the primary', async () => {
    const q = { query: 'select pg_is_in_recovery() as r' }
    assert.deepStrictEqual((await post(gw, q)).body.rows, [['f']])
    assert.deepStrictEqual((await post(gw, q, { 'Skiff-Role': 'replica' })).body.rows, [['t']])
  })

  it('GET /health is live; GET /ready checks the primaries; unknown routes get 404 JSON', async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`
    assert.deepStrictEqual(await (await fetch(`${base}/health`)).json(), { status: 'ok' })
    const ready = await fetch(`${base}/ready`)
    assert.equal(ready.status, 200)
    const missing = await fetch(`${base}/nope`)
    assert.equal(missing.status, 404)
    assert.match(String(((await missing.json()) as Record<string, unknown>).message), /no route/)
    const dead = await startTestGateway({ serverPort: 1 })
    try {
      const r = await fetch(`http://127.0.0.1:${dead.httpPort}/ready`)
      assert.equal(r.status, 503)
      assert.deepStrictEqual(await r.json(), { status: 'unavailable', unreachable: ['127.0.0.1:1'] })
    } finally {
      await dead.stop()
    }
  })
})
