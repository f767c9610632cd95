/**
 * examples/worker-drizzle (drizzle-orm neon-http through the edge handler in the same Worker),
 * bundled with esbuild and run in workerd through miniflare against Skiff: a repeated list comes
 * from the edge cache, and adding a todo shows in the next list at once.
 *
 * UPSTREAM: test/helpers/contract-upstream.ts in front of the real Skiff (adds the issue-22 cache
 * headers) until branch i22-gateway lands them; then point SKIFF_URL at Skiff and drop the proxy.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { pgClient } from '../helpers/clients.js'
import {
  type ContractUpstream,
  startContractUpstream,
  versionTriggerSql,
} from '../helpers/contract-upstream.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { directUrl, topology } from '../helpers/topology.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

describe('examples/worker-drizzle in workerd', () => {
  let gw: TestGateway
  let upstream: ContractUpstream
  let mf: Miniflare
  before(async () => {
    await using su = await pgClient(directUrl())
    await su.query(`drop table if exists todos;
      create table todos (id serial primary key, title text not null);
      ${versionTriggerSql('todos', 'edge_dz_versions')}
      grant all on todos to skiff_scram; grant all on all sequences in schema public to skiff_scram`)
    gw = await startTestGateway()
    upstream = await startContractUpstream(gw.httpPort, directUrl(), 'edge_dz_versions')
    const out = await build({
      entryPoints: [path.join(root, 'examples/worker-drizzle/src/index.ts')],
      // The published package's subpaths, from source (no build step needed).
      alias: { '@skiff/worker-adapters': path.join(root, 'worker-adapters/src') },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      write: false,
      logLevel: 'silent',
    })
    const t = topology()
    mf = new Miniflare({
      modules: true,
      script: out.outputFiles[0]!.text,
      compatibilityDate: '2025-09-01',
      bindings: {
        SKIFF_URL: upstream.url,
        SKIFF_USER: t.users.scram.username,
        SKIFF_PASSWORD: t.users.scram.password,
        SKIFF_DATABASE: t.database,
      },
    })
  })
  after(async () => {
    await mf?.dispose()
    await upstream?.stop()
    await gw?.stop()
  })

  it('lists from the cache on repeat; a todo added through the Worker shows at once', async () => {
    const list = async () => (await mf.dispatchFetch('http://app.test/todos')).json()
    const sqlHits = () => upstream.hits.get('/sql') ?? 0
    const add = await mf.dispatchFetch('http://app.test/todos', {
      method: 'POST',
      body: JSON.stringify({ title: 'a' }),
    })
    assert.equal(add.status, 201, await add.clone().text())
    assert.deepStrictEqual(await list(), [{ id: 1, title: 'a' }])
    const before = sqlHits()
    assert.deepStrictEqual(await list(), [{ id: 1, title: 'a' }])
    assert.equal(sqlHits(), before, 'the repeated list did not reach Skiff')
    await mf.dispatchFetch('http://app.test/todos', { method: 'POST', body: JSON.stringify({ title: 'b' }) })
    assert.deepStrictEqual(await list(), [
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
    ])
  })
})
