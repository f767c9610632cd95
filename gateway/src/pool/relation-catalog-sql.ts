/**
 * The relation catalog's one query and the reading of its answer. For each relation name: its kind
 * (`pg_class.relkind`), the `schema.table` it resolves to (`to_regclass`, so an unqualified name
 * follows the connection's search_path: the pool user's default), and, for a view or materialized
 * view, every relation under it, recursively: what its rewrite rule depends on (pg_rewrite +
 * pg_depend), and the partitions and inheritance children of a table (pg_inherits), since a read of
 * the parent reads them. Also, per view, whether its rule depends on a user-defined function that is
 * not immutable or on any volatile one, and its definition (`pg_get_viewdef`, which the caller scans
 * for the built-in time functions: Postgres records no dependency on built-in objects).
 * For each function name: whether some function of that name, in any schema, is volatile, or is
 * user-defined (not in pg_catalog or information_schema) and not immutable.
 * The answer is one row holding one JSON document.
 * @see https://www.postgresql.org/docs/current/catalog-pg-depend.html
 * @see https://www.postgresql.org/docs/current/catalog-pg-rewrite.html
 * @see https://www.postgresql.org/docs/current/xfunc-volatility.html
 * @module
 */
import { quoteLiteral } from '../util/quote-literal.js'
import type { TextRows } from './internal-query.js'

/** What the catalog knows of one relation name. */
export interface RelationFacts {
  /** `schema.table` it resolves to; undefined when Postgres knows no such relation. */
  readonly resolved?: string
  /** pg_class.relkind (`r` table, `v` view, `m` materialized view, `p` partitioned, …); '' if unknown. */
  readonly kind: string
  /** Relations under it (a view's, recursively, and partitions), `schema.table`, each once. */
  readonly bases: readonly string[]
  /** A view under it calls a volatile function, or a user-defined one that is not immutable. */
  readonly unsafe: boolean
  /** Definitions of the views under it (itself included), for a scan of the built-in functions. */
  readonly definitions: readonly string[]
}

/** Nested views deeper than this are not followed (Postgres has no limit; real schemas stay far below). */
export const MAX_VIEW_DEPTH = 32

/** A function call that makes a read's result unfit to keep. */
const UNSAFE_PROC = `(p.provolatile = 'v' or (pn.nspname not in ('pg_catalog', 'information_schema')
  and p.provolatile <> 'i'))`

/** An identifier of a name as the SQL scan gives it (parts joined by `.`, each kept exact). */
export function regclassText(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.')
}

function textArray(values: readonly string[]): string {
  return `array[${values.map(quoteLiteral).join(',')}]::text[]`
}

/** The query for these relation names (as the text names them) and function names. */
export function catalogSql(relations: readonly string[], functions: readonly string[]): string {
  return `with recursive
input(name, oid) as (
  select n, to_regclass(s)::oid from unnest(${textArray(relations)}, ${textArray(relations.map(regclassText))}) as i(n, s)),
tree(root, oid, depth) as (
  select oid, oid, 0 from input where oid is not null
  union
  select t.root, u.child, t.depth + 1 from tree t cross join lateral (
    select d.refobjid from pg_rewrite r join pg_depend d on d.classid = 'pg_rewrite'::regclass
      and d.objid = r.oid and d.refclassid = 'pg_class'::regclass and d.refobjid <> t.oid
    where r.ev_class = t.oid
    union select i.inhrelid from pg_inherits i where i.inhparent = t.oid) as u(child)
  where t.depth < ${MAX_VIEW_DEPTH})
select json_build_object(
 'relations', (select coalesce(json_agg(json_build_object('name', i.name, 'kind', c.relkind,
    'resolved', n.nspname || '.' || c.relname,
    'bases', (select json_agg(distinct bn.nspname || '.' || bc.relname) from tree t
      join pg_class bc on bc.oid = t.oid join pg_namespace bn on bn.oid = bc.relnamespace
      where t.root = i.oid and t.depth > 0),
    'unsafe', (select bool_or(${UNSAFE_PROC}) from tree t join pg_rewrite r on r.ev_class = t.oid
      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
        and d.refclassid = 'pg_proc'::regclass
      join pg_proc p on p.oid = d.refobjid join pg_namespace pn on pn.oid = p.pronamespace
      where t.root = i.oid),
    'definitions', (select json_agg(distinct pg_get_viewdef(t.oid)) from tree t
      join pg_class vc on vc.oid = t.oid where t.root = i.oid and vc.relkind in ('v', 'm'))
   )), '[]') from input i left join pg_class c on c.oid = i.oid
   left join pg_namespace n on n.oid = c.relnamespace),
 'functions', (select coalesce(json_agg(json_build_object('name', f.name,
    'unsafe', (select bool_or(${UNSAFE_PROC}) from pg_proc p
      join pg_namespace pn on pn.oid = p.pronamespace where p.proname = f.name))), '[]')
   from unnest(${textArray(functions)}) as f(name)))`
}

/** The catalog's answer: facts per relation name, and per function name whether it is unsafe. */
export interface CatalogRows {
  readonly relations: ReadonlyMap<string, RelationFacts>
  readonly functions: ReadonlyMap<string, boolean>
}

interface RawRelation {
  name: string
  kind: string | null
  resolved: string | null
  bases: string[] | null
  unsafe: boolean | null
  definitions: string[] | null
}

/** Reads the query's one row; throws on anything else. */
export function parseCatalogRows(rows: TextRows): CatalogRows {
  const text = rows.length === 1 ? rows[0]![0] : undefined
  if (typeof text !== 'string') throw new Error(`the catalog query returned ${rows.length} rows`)
  const doc = JSON.parse(text) as {
    relations: RawRelation[]
    functions: Array<{ name: string; unsafe: boolean | null }>
  }
  const relations = new Map<string, RelationFacts>()
  for (const r of doc.relations) {
    relations.set(r.name, {
      resolved: r.resolved ?? undefined,
      kind: r.kind ?? '',
      bases: r.bases ?? [],
      unsafe: r.unsafe === true,
      definitions: r.definitions ?? [],
    })
  }
  const functions = new Map<string, boolean>()
  for (const f of doc.functions) functions.set(f.name, f.unsafe === true)
  return { relations, functions }
}
