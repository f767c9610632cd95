/**
 * The real Skiff the edge adapters' tests talk to: an in-process test gateway whose pool keeps table
 * versions from logical replication (`table_versions = "logical"`), so a write made with psql straight
 * on Postgres reaches the edge caches through `GET /versions`.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { pgClient } from './clients.js'
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.js'
import { directUrl, topology } from './topology.js'

const PUBLICATION = 'skiff_table_versions'

/** A running Skiff for an edge test, and how to take down what it set up. */
export interface EdgeSkiff {
  gw: TestGateway
  /**
   * Waits until `table`'s version has stood still for 200 ms. In logical mode a write through Skiff is
   * bumped twice: at once (routed) and again when Postgres's stream reports its commit, milliseconds
   * later; a read cached between the two looks old and is fetched once more. A test that asserts a
   * hit right after a write waits for that echo first.
   */
  settle(table: string): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts Skiff with logical table versions over `tables` and waits until its stream reports changes.
 * The publication is scoped to `tables` (added to `skiff_table_versions` when another suite made it
 * for a table list; a FOR ALL TABLES one already covers them) so it never makes Postgres refuse
 * UPDATE/DELETE on other tests' tables without a replica identity; `stop` undoes only what it added.
 * Each table needs a primary key and a row with `id = 1` (a no-op update on it proves the stream).
 */
export async function startEdgeSkiff(tables: string[], options: TestGatewayOptions = {}): Promise<EdgeSkiff> {
  await using su = await pgClient(directUrl())
  // The pool's first user opens the replication connection (it needs the REPLICATION attribute).
  await su.query('alter role skiff_scram replication')
  const found = await su.query('select puballtables from pg_publication where pubname = $1', [PUBLICATION])
  let created = false
  let added: string[] = []
  if (found.rowCount === 0) {
    await su.query(`create publication ${PUBLICATION} for table ${tables.join(', ')}`)
    created = true
  } else if (!found.rows[0].puballtables) {
    const inIt = await su.query(
      `select tablename from pg_publication_tables where pubname = $1 and schemaname = 'public'`,
      [PUBLICATION],
    )
    const have = new Set(inIt.rows.map((r) => r.tablename))
    added = tables.filter((t) => !have.has(t))
    if (added.length > 0) await su.query(`alter publication ${PUBLICATION} add table ${added.join(', ')}`)
  }
  const gw = await startTestGateway({ ...options, pool: 'table_versions = "logical"' })
  await waitForStream(gw, tables[0]!)
  return {
    gw,
    async settle(table) {
      let last = await versionOf(gw, table)
      let since = Date.now()
      const start = since
      while (Date.now() - since < 200 && Date.now() - start < 5000) {
        await sleep(50)
        const now = await versionOf(gw, table)
        if (now !== last) [last, since] = [now, Date.now()]
      }
    },
    async stop() {
      await gw.stop()
      await using su2 = await pgClient(directUrl())
      if (created) await su2.query(`drop publication if exists ${PUBLICATION}`)
      else if (added.length > 0)
        await su2.query(`alter publication ${PUBLICATION} drop table ${added.join(', ')}`)
      await su2.query('alter role skiff_scram noreplication')
    },
  }
}

/**
 * Waits until a change made straight on Postgres moves `table`'s version: the stream is up, and the
 * database-wide bump its start makes is behind us (a test's first cached entry is not made old by it).
 */
async function waitForStream(gw: TestGateway, table: string): Promise<void> {
  const version = () => versionOf(gw, table)
  await using su = await pgClient(directUrl())
  const start = Date.now()
  while (Date.now() - start < 15_000) {
    const before = await version()
    await su.query(`update ${table} set id = id where id = 1`)
    await sleep(200)
    if ((await version()) > before) return
  }
  throw new Error(`Skiff's logical replication stream did not report a change to ${table} within 15 s`)
}

/** `public.<table>`'s version, from `GET /versions`. */
async function versionOf(gw: TestGateway, table: string): Promise<number> {
  const name = `public.${table}`
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/versions?tables=${name}`, {
    headers: { 'Neon-Connection-String': gw.url('scram') },
  })
  if (res.status !== 200) throw new Error(`GET /versions answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { versions: Record<string, number> }).versions[name]!
}

/**
 * A table `<prefix>_items (id int primary key, v text)` holding `rows`, and `<prefix>_counted()`,
 * which bumps the sequence `<prefix>_reads` once per query that calls it and reaches Postgres. It is
 * declared immutable, a lie Postgres trusts (planning runs it once per query); declared volatile, it
 * would rightly make Skiff's relation catalog call the read uncacheable. `reads()` is the count so far.
 */
export async function countedItems(
  prefix: string,
  rows: [number, string][],
): Promise<{ reads(): Promise<number> }> {
  await using su = await pgClient(directUrl())
  const values = rows.map(([id, v]) => `(${id}, '${v.replaceAll("'", "''")}')`).join(', ')
  await su.query(`drop table if exists ${prefix}_items; drop sequence if exists ${prefix}_reads;
    create table ${prefix}_items (id int primary key, v text not null);
    insert into ${prefix}_items values ${values};
    create sequence ${prefix}_reads;
    create or replace function ${prefix}_counted() returns bigint language sql immutable as 'select nextval(''${prefix}_reads'')';
    grant all on ${prefix}_items to skiff_scram; grant all on sequence ${prefix}_reads to skiff_scram`)
  return {
    async reads() {
      await using c = await pgClient(directUrl())
      const { rows: r } = await c.query(
        `select case when is_called then last_value else 0 end as n from ${prefix}_reads`,
      )
      return Number(r[0].n)
    },
  }
}

/** The bindings `fromEnv(env)` reads, for the scram test user on `gw` (plus `extra`). */
export function skiffBindings(gw: TestGateway, extra: Record<string, string> = {}): Record<string, string> {
  const t = topology()
  return {
    SKIFF_URL: `http://127.0.0.1:${gw.httpPort}`,
    SKIFF_USER: t.users.scram.username,
    SKIFF_PASSWORD: t.users.scram.password,
    SKIFF_DATABASE: t.database,
    ...extra,
  }
}
