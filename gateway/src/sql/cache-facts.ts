/**
 * What an edge read cache needs to know of a request (issue 22): is it read-only, may its result be
 * kept, which tables does it read, which does it write. Built from the routing classification
 * (`classifyCached`: the same kinds the router acts on, FOR UPDATE / SHARE and primary-only functions
 * already make a read a write), the table scan of `tables.ts`, and one scan for write targets and
 * volatile functions (`cache-scan.ts`). Results are kept per text in a bounded LRU: an HTTP client or a
 * session sends the same texts again and again, and a write's targets are needed on every write.
 *
 * Names are qualified the way logical replication names a relation, `schema.table`: an unqualified
 * name is taken as `public.` (search_path is not followed), a `db.schema.table` name loses its
 * database, unquoted parts are lower-cased and quoted ones kept exact. These are the names a routed
 * write bumps; the HTTP cache headers add what the relation catalog resolves them to (search_path,
 * the tables under a view) from `relations`, the names as written.
 * @module
 */
import { CacheScan, type CacheScanResult } from './cache-scan.js'
import { Lru } from './lru.js'
import { classifyCached } from './shape-cache.js'
import { statementTables } from './tables.js'

/** The cache facts of one request (one text, or the statements of one batch). */
export interface CacheFacts {
  /** Every statement only reads (kind `read`: no transaction control, SET, lock or write). */
  readonly readOnly: boolean
  /** Read-only, and no volatile or time-dependent function (volatile-functions.ts) is used. */
  readonly cacheable: boolean
  /** The relations the request names (read or written), qualified, each once. */
  readonly tables: readonly string[]
  /** The tables it writes, qualified; undefined when some write's targets are unknown. */
  readonly writes: readonly string[] | undefined
  /** The relations it names as written (`t`, `s.t`; a database part dropped), each once. */
  readonly relations: readonly string[]
  /** Functions it calls that volatile-functions.ts does not list (cache-scan.ts), each once. */
  readonly functions: readonly string[]
}

const scan = new CacheScan()
const remembered = new Lru<string, CacheFacts>(4096)
const NONE: readonly string[] = Object.freeze([])

/** `schema.table` of a name as the table scan gives it (see the module's comment). */
export function qualifiedTable(name: string): string {
  const parts = name.split('.')
  if (parts.length === 1) return `public.${name}`
  return parts.slice(-2).join('.')
}

/**
 * The tables a scan found written, qualified and each once; undefined when some write's targets are
 * unknown (the whole database then counts). One rule for the HTTP headers and for routed writes.
 */
export function writtenTables(found: CacheScanResult): readonly string[] | undefined {
  return found.writesUnknown ? undefined : [...new Set(found.writes.map(qualifiedTable))]
}

/** A name as written without its database part (`db.s.t` → `s.t`). */
function withoutDatabase(name: string): string {
  const parts = name.split('.')
  return parts.length <= 2 ? name : parts.slice(-2).join('.')
}

/**
 * The cache facts of the UTF-8 SQL text `buf[start, end)` (a trailing NUL is fine).
 * @example sqlCacheFacts('select * from t').tables // ['public.t']
 */
export function cacheFacts(buf: Uint8Array, start: number, end: number, scs = true): CacheFacts {
  if (end > start && buf[end - 1] === 0) end--
  const info = classifyCached(buf, start, end, scs)
  const readOnly = info.statementCount > 0 && info.kinds.every((k) => k === 'read')
  const found = scan.run(buf, start, end, scs)
  const named = statementTables(buf, start, end, scs)
  const tables = named.map(qualifiedTable)
  const isWrite = info.kinds.some((k) => k === 'write' || k === 'other')
  const writes = isWrite ? writtenTables(found) : NONE
  return {
    readOnly,
    cacheable: readOnly && !found.volatile && !info.unterminated,
    tables: [...new Set(tables)],
    writes,
    relations: [...new Set(named.map(withoutDatabase))],
    functions: found.functions,
  }
}

/** {@link cacheFacts} of a string, remembered per text (and standard_conforming_strings). */
export function sqlCacheFacts(text: string, scs = true): CacheFacts {
  const key = scs ? text : `\0${text}`
  const known = remembered.get(key)
  if (known !== undefined) return known
  const buf = Buffer.from(text, 'utf8')
  const facts = cacheFacts(buf, 0, buf.length, scs)
  remembered.set(key, facts)
  return facts
}

/**
 * The facts of statements run together (a batch): read-only and cacheable only if each is, tables
 * the union, writes the union (unknown if any is).
 */
export function combineCacheFacts(all: readonly CacheFacts[]): CacheFacts {
  const tables = new Set<string>()
  const writes = new Set<string>()
  const relations = new Set<string>()
  const functions = new Set<string>()
  let unknown = false
  for (const f of all) {
    for (const t of f.tables) tables.add(t)
    for (const r of f.relations) relations.add(r)
    for (const fn of f.functions) functions.add(fn)
    if (f.writes === undefined) unknown = true
    else for (const t of f.writes) writes.add(t)
  }
  return {
    readOnly: all.length > 0 && all.every((f) => f.readOnly),
    cacheable: all.length > 0 && all.every((f) => f.cacheable),
    tables: [...tables],
    writes: unknown ? undefined : [...writes],
    relations: [...relations],
    functions: [...functions],
  }
}
