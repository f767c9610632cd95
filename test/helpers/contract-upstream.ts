/**
 * A stand-in for the Skiff HTTP headers of issue 22 (`Skiff-Read-Only`, `Skiff-Cacheable`,
 * `Skiff-Tables`, `Skiff-Writes`, `Skiff-Table-Versions`, `GET /versions`) while they are built on
 * another branch: a proxy in front of a REAL Skiff that forwards `POST /sql` unchanged and adds the
 * headers by a naive rule (one statement: `select … from t` reads t, `insert into`/`update`/
 * `delete from` t writes t; a few volatile function names make a read uncacheable). Versions are
 * real: a statement trigger on each watched table bumps a row of a versions table in Postgres, so a
 * write made with psql straight on Postgres bumps them too (as Skiff's logical-replication versions
 * will). Once the gateway answers these headers itself, tests point at Skiff and drop this proxy.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'

/** The naive cache classification of one statement. */
export function classify(sql: string): Record<string, string> {
  const write = new RegExp(`^\\s*(?:insert\\s+into|update|delete\\s+from)\\s+${NAME}`, 'i').exec(sql)
  if (write)
    return { 'Skiff-Read-Only': 'false', 'Skiff-Cacheable': 'false', 'Skiff-Writes': qualified(write[1]!) }
  if (!/^\s*select\b/i.test(sql)) return {}
  const tables = [...sql.matchAll(new RegExp(`\\b(?:from|join)\\s+${NAME}`, 'gi'))].map((m) =>
    qualified(m[1]!),
  )
  const volatile = /\b(now|random|current_date|current_timestamp|clock_timestamp|nextval|gen_random_uuid)\b/i
  const cacheable = !volatile.test(sql) && !/\bfor\s+(update|share)\b/i.test(sql)
  return {
    'Skiff-Read-Only': 'true',
    'Skiff-Cacheable': String(cacheable),
    'Skiff-Tables': [...new Set(tables)].join(','),
  }
}

/** A table name, maybe schema-qualified, maybe double-quoted (drizzle quotes every name). */
const NAME = '("?[a-z_][a-z0-9_]*"?(?:\\."?[a-z_][a-z0-9_]*"?)?)'

const qualified = (name: string) => {
  const t = name.replaceAll('"', '')
  return (t.includes('.') ? t : `public.${t}`).toLowerCase()
}

/**
 * SQL that creates the versions table `versions` (one per test file, so files running at once do not
 * race on it) and bumps it from a statement trigger on `table`.
 */
export function versionTriggerSql(table: string, versions: string): string {
  return `drop table if exists ${versions};
    create table ${versions} (tbl text primary key, version bigint not null);
    create or replace function ${versions}_bump() returns trigger language plpgsql security definer as $$
    begin
      insert into ${versions} values ('public.' || TG_TABLE_NAME, 1)
        on conflict (tbl) do update set version = ${versions}.version + 1;
      return null;
    end $$;
    drop trigger if exists edge_bump on ${table};
    create trigger edge_bump after insert or update or delete or truncate on ${table}
      for each statement execute function ${versions}_bump();`
}

/** A running proxy. */
export interface ContractUpstream {
  url: string
  /** Requests it received, by path (`/sql`, `/versions`). */
  hits: Map<string, number>
  stop(): Promise<void>
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let s = ''
    req.setEncoding('utf8')
    req.on('data', (c) => (s += c))
    req.on('end', () => resolve(s))
    req.on('error', reject)
  })

/** Starts the proxy in front of Skiff's HTTP port; `directUrl` reads the `versions` table (superuser). */
export async function startContractUpstream(
  skiffHttpPort: number,
  directUrl: string,
  versions: string,
): Promise<ContractUpstream> {
  const versionsDb = new pg.Client(directUrl)
  await versionsDb.connect()
  const versionsOf = async (tables: string[]) => {
    const r = await versionsDb.query(`select tbl, version from ${versions} where tbl = any($1)`, [tables])
    return Object.fromEntries(tables.map((t) => [t, Number(r.rows.find((x) => x.tbl === t)?.version ?? 0)]))
  }
  const hits = new Map<string, number>()
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v
    try {
      if (path === '/versions') {
        // Same auth as /sql: the credentials must run a query through Skiff.
        const auth = await fetch(`http://127.0.0.1:${skiffHttpPort}/sql`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'select 1', params: [] }),
        })
        if (auth.status !== 200) {
          res.writeHead(auth.status, { 'content-type': 'application/json' }).end(await auth.text())
          return
        }
        const tables = (new URL(req.url ?? '/', 'http://x').searchParams.get('tables') ?? '')
          .split(',')
          .filter(Boolean)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ versions: await versionsOf(tables), now: Date.now() }))
        return
      }
      const text = await body(req)
      const parsed = JSON.parse(text) as { query?: string }
      const extra = typeof parsed.query === 'string' ? classify(parsed.query) : {}
      if (extra['Skiff-Tables'] !== undefined && extra['Skiff-Cacheable'] === 'true') {
        const v = await versionsOf(extra['Skiff-Tables'].split(',').filter(Boolean))
        extra['Skiff-Table-Versions'] = Object.entries(v)
          .map(([t, n]) => `${t}=${n}`)
          .join(',')
      }
      const up = await fetch(`http://127.0.0.1:${skiffHttpPort}${req.url}`, {
        method: 'POST',
        headers,
        body: text,
      })
      const out: Record<string, string> = { ...extra }
      up.headers.forEach((v, k) => {
        out[k] = v
      })
      delete out['content-length']
      delete out['transfer-encoding']
      res.writeHead(up.status, out).end(await up.text())
    } catch (err) {
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: String(err), code: '08006' }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await versionsDb.end()
    },
  }
}
