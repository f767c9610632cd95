/**
 * The Vercel Edge handler (worker-adapters/src/vercel, bundled with esbuild) in the `edge-runtime`
 * package's VM, serving `/sql` through a real Skiff, and the client SDK's client `fromEnv()` returns
 * (tagged template, batch, `query()` with `result.cache`, SkiffErrors) with the bound credentials and
 * the opt-in in-memory read cache, which Skiff's own Skiff-* cache headers drive
 * (table versions from logical replication).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { neon, neonConfig } from '@neondatabase/serverless'
import { EdgeRuntime, runServer } from 'edge-runtime'
import { bundle } from '../helpers/edge-bundle.js'
import { countedItems, type EdgeSkiff, skiffBindings, startEdgeSkiff } from '../helpers/edge-skiff.js'
import type { TestGateway } from '../helpers/gateway.js'
import { topology } from '../helpers/topology.js'

const vercelEntry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../worker-adapters/src/vercel/index.ts',
)

const TOKEN = 'edge-adapter-test-token-1'

/** An Edge Function: the edge /sql handler, and app routes using the client fromEnv() returns. */
const ENTRY = `
import { createHandler, fromEnv, isSkiffError } from ${JSON.stringify(vercelEntry)}
const edge = createHandler()
let client
async function app(url) {
  client ??= fromEnv()
  if (url.searchParams.has('tx')) {
    try { return Response.json(await client.transaction((tx) => tx\`select 1 as one\`)) }
    catch (err) { return Response.json({ skiff: isSkiffError(err), message: err.message, code: err.code }, { status: 500 }) }
  }
  const tag = url.searchParams.get('invalidate')
  if (tag) { client.invalidate(tag); return Response.json({ invalidated: tag }) }
  try {
    const r = await client.query('select v, edge_vc_counted() > 0 as counted from edge_vc_items where id = $1', [1], { cache: { tags: ['items'] } })
    return Response.json(r)
  } catch (err) { return Response.json({ message: err.message, code: err.code }, { status: 500 }) }
}
async function smoke() {
  client ??= fromEnv()
  const template = await client\`select \${41}::int + 1 as n\`
  const batch = (await client.batch([client.sql\`select \${1}::int as a\`, client.sql\`select v from edge_vc_items where id = \${1}\`])).map((r) => r.rows)
  let error
  try { await client\`select 1/0\` } catch (e) { error = { skiff: isSkiffError(e), name: e.name, code: e.code } }
  return Response.json({ callable: typeof client, template, batch, error })
}
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  const route = url.pathname === '/app' ? app(url) : url.pathname === '/smoke' ? smoke() : edge(event.request, event)
  event.respondWith(route)
})
`

/** Runs the Edge Function in the VM with these environment variables. */
async function serve(code: string, env: Record<string, string>) {
  const runtime = new EdgeRuntime({
    initialCode: code,
    extend: (context) => Object.assign(context, { process: { env } }),
  })
  return runServer({ runtime, port: 0, host: '127.0.0.1' })
}

describe('Vercel Edge handler (edge-runtime VM)', () => {
  let skiff: EdgeSkiff
  let gw: TestGateway
  let code: string
  const servers: { close(): Promise<void> }[] = []
  let counter: () => Promise<number>

  before(async () => {
    counter = (await countedItems('edge_vc', [[1, 'one']])).reads
    skiff = await startEdgeSkiff(['edge_vc_items'], {
      http: `[[http.api_tokens]]\ntoken = "${TOKEN}"\nusername = "skiff_scram"`,
    })
    gw = skiff.gw
    code = await bundle('.', ENTRY)
  })
  after(async () => {
    for (const s of servers) await s.close()
    await skiff?.stop()
  })

  it('serves Neon-compatible /sql requests through Skiff (neon() pointed at the handler)', async () => {
    const server = await serve(code, { SKIFF_URL: `http://127.0.0.1:${gw.httpPort}` })
    servers.push(server)
    neonConfig.fetchEndpoint = () => `${server.url}sql`
    const sql = neon(gw.url('scram'))
    const rows = await sql.query('select v, $1::int + 1 as n from edge_vc_items where id = 1', [41])
    assert.deepStrictEqual(rows, [{ v: 'one', n: 42 }])
    const res = await fetch(`${server.url}sql`, {
      method: 'POST',
      headers: { 'Neon-Connection-String': gw.url('scram'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: 'select 1/0', params: [] }),
    })
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as { code: string }).code, '22012')
    assert.equal((await fetch(`${server.url}health`)).status, 200)
  })

  it('fromEnv() is the client SDK: tagged template, batch, a SkiffError with its SQLSTATE', async () => {
    const server = await serve(code, skiffBindings(gw))
    servers.push(server)
    assert.deepStrictEqual(await (await fetch(`${server.url}smoke`)).json(), {
      callable: 'function',
      template: [{ n: 42 }],
      batch: [[{ a: 1 }], [{ v: 'one' }]],
      error: { skiff: true, name: 'SkiffError', code: '22012' },
    })
  })

  it('fromEnv().query() runs as the bound user; the memory cache serves repeats until invalidate(tag)', async () => {
    const server = await serve(code, skiffBindings(gw, { SKIFF_CACHE: 'memory' }))
    servers.push(server)
    const app = async (query = '') =>
      (await (await fetch(`${server.url}app${query}`)).json()) as Record<string, unknown>
    const before = await counter()
    const first = await app()
    assert.deepStrictEqual(first.rows, [{ v: 'one', counted: true }], JSON.stringify(first))
    assert.equal(first.cache, 'MISS')
    assert.equal((await app()).cache, 'HIT')
    assert.equal(await counter(), before + 1)
    await app('?invalidate=items')
    assert.equal((await app()).cache, 'MISS')
    assert.equal(await counter(), before + 2)
  })

  it('fromEnv() with SKIFF_TOKEN sends the token instead of a password; a wrong one is refused', async () => {
    const t = topology()
    const env = {
      SKIFF_URL: `http://127.0.0.1:${gw.httpPort}`,
      SKIFF_USER: t.users.scram.username,
      SKIFF_DATABASE: t.database,
    }
    const good = await serve(code, { ...env, SKIFF_TOKEN: TOKEN })
    const bad = await serve(code, { ...env, SKIFF_TOKEN: 'not-the-token' })
    servers.push(good, bad)
    const ok = (await (await fetch(`${good.url}app`)).json()) as { rows: unknown }
    assert.deepStrictEqual(ok.rows, [{ v: 'one', counted: true }], JSON.stringify(ok))
    const refused = await fetch(`${bad.url}app`)
    assert.equal(refused.status, 500)
    const body = (await refused.json()) as { message: string; code: string }
    assert.equal(body.code, '28000', JSON.stringify(body))
    assert.ok(!body.message.includes('not-the-token'))
    const tx = (await (await fetch(`${good.url}app?tx`)).json()) as { skiff: boolean; code: string }
    assert.deepStrictEqual(
      { skiff: tx.skiff, code: tx.code },
      { skiff: true, code: 'SKIFF_BAD_INPUT' },
      'a token cannot log in over WebSocket: a clear error, not a failed login',
    )
  })
})
