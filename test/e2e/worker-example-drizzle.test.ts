/**
 * examples/worker-drizzle (drizzle-orm neon-http through the edge handler in the same Worker),
 * bundled with esbuild and run in workerd through miniflare against Skiff: a repeated list comes
 * from the edge cache (a counter in Postgres proves it was not read again), and adding a todo shows
 * in the next list at once (Skiff's Skiff-Writes names the table).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { pgClient } from '../helpers/clients.js'
import { type EdgeSkiff, skiffBindings, startEdgeSkiff } from '../helpers/edge-skiff.js'
import { directUrl } from '../helpers/topology.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

describe('examples/worker-drizzle in workerd', () => {
  let skiff: EdgeSkiff
  let mf: Miniflare
  before(async () => {
    await using su = await pgClient(directUrl())
    // A row policy calls a counter (as the owner), so every read of todos that reaches Postgres
    // bumps edge_dz_reads; the query itself names no function, so Skiff marks it cacheable.
    await su.query(`drop table if exists todos, edge_dz_probe; drop sequence if exists edge_dz_reads;
      create table todos (id serial primary key, title text not null);
      create table edge_dz_probe (id int primary key); insert into edge_dz_probe values (1);
      create sequence edge_dz_reads;
      create or replace function edge_dz_counted() returns bigint language sql volatile security definer
        as 'select nextval(''edge_dz_reads'')';
      alter table todos enable row level security;
      create policy todos_read on todos for select using (edge_dz_counted() > 0);
      create policy todos_write on todos for insert with check (true);
      grant all on todos to skiff_scram; grant all on all sequences in schema public to skiff_scram`)
    skiff = await startEdgeSkiff(['edge_dz_probe', 'todos'])
    const out = await build({
      entryPoints: [path.join(root, 'examples/worker-drizzle/src/index.ts')],
      // The published package's subpaths, from source (no build step needed).
      alias: {
        '@skiff/worker-adapters': path.join(root, 'worker-adapters/src'),
        '@skiff/client-sdk': path.join(root, 'client-sdk/src'),
      },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      write: false,
      logLevel: 'silent',
    })
    mf = new Miniflare({
      modules: true,
      script: out.outputFiles[0]!.text,
      compatibilityDate: '2025-09-01',
      bindings: skiffBindings(skiff.gw),
    })
  })
  after(async () => {
    await mf?.dispose()
    await skiff?.stop()
  })

  it('lists from the cache on repeat; a todo added through the Worker shows at once', async () => {
    const list = async () => (await mf.dispatchFetch('http://app.test/todos')).json()
    const reads = async () => {
      await using su = await pgClient(directUrl())
      const { rows } = await su.query(
        'select case when is_called then last_value else 0 end as n from edge_dz_reads',
      )
      return Number(rows[0].n)
    }
    const add = await mf.dispatchFetch('http://app.test/todos', {
      method: 'POST',
      body: JSON.stringify({ title: 'a' }),
    })
    assert.equal(add.status, 201, await add.clone().text())
    await skiff.settle('todos')
    assert.deepStrictEqual(await list(), [{ id: 1, title: 'a' }])
    const before = await reads()
    assert.ok(before > 0, 'the first list reached Postgres')
    assert.deepStrictEqual(await list(), [{ id: 1, title: 'a' }])
    assert.equal(await reads(), before, 'the repeated list did not reach Postgres')
    await mf.dispatchFetch('http://app.test/todos', { method: 'POST', body: JSON.stringify({ title: 'b' }) })
    assert.deepStrictEqual(await list(), [
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
    ])
  })
})
