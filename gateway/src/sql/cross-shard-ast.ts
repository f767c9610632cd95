/**
 * What the cross-shard planner asks of pgsql-ast-parser's trees: the parser itself (loaded on first
 * use, like second-opinion.ts), which calls are aggregates, expression identity, and the checks that
 * refuse a statement whose meaning depends on seeing every shard's rows in one place (window
 * functions, and subqueries that aggregate, limit, deduplicate or lock).
 * @see https://github.com/oguimbal/pgsql-ast-parser
 * @see https://www.postgresql.org/docs/current/functions-aggregate.html
 * @module
 */
import { createRequire } from 'node:module'
import type { Expr, ExprCall, Statement } from 'pgsql-ast-parser'
import { COLLATE_MARKER } from './collate-marker.js'

interface Parser {
  parse(sql: string): Statement[]
  toSql: { statement(s: Statement): string }
}

let parser: Parser | undefined

/** pgsql-ast-parser, loaded on first use (≈ 0.3 s). */
export function astParser(): Parser {
  if (parser === undefined) parser = createRequire(import.meta.url)('pgsql-ast-parser') as Parser
  return parser
}

/** The aggregates whose partial results the combiner can combine (`every` is bool_and). */
export const MERGEABLE = new Set(['count', 'sum', 'min', 'max', 'avg', 'bool_and', 'bool_or', 'every'])

/** Postgres's other built-in aggregates (pg_aggregate), refused by name. */
const OTHER_AGGREGATES = new Set([
  ...['array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg'],
  ...['json_object_agg_strict', 'json_object_agg_unique', 'jsonb_object_agg_strict', 'json_arrayagg'],
  ...['json_objectagg', 'xmlagg', 'bit_and', 'bit_or', 'bit_xor', 'any_value', 'range_agg'],
  ...['range_intersect_agg', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp'],
  ...['corr', 'covar_pop', 'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept'],
  ...['regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy', 'mode', 'percentile_cont'],
  ...['percentile_disc', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'grouping'],
])

/** The name of a call to a built-in aggregate (in no schema or pg_catalog), else undefined. */
export function aggregateName(e: Expr): string | undefined {
  if (e.type !== 'call') return undefined
  const { name, schema } = e.function
  if (schema !== undefined && schema !== 'pg_catalog') return undefined
  return MERGEABLE.has(name) || OTHER_AGGREGATES.has(name) ? name : undefined
}

/** The operand of a `__skiff_collate_c(expr)` marker call, or undefined. */
export function collated(e: Expr): Expr | undefined {
  return e.type === 'call' && e.function.name === COLLATE_MARKER && e.args.length === 1
    ? e.args[0]
    : undefined
}

/** `e` without a COLLATE "C" marker around it. */
export const bare = (e: Expr): Expr => collated(e) ?? e

/** A string that is equal for two expressions exactly when they are the same tree. */
export function exprKey(e: Expr): string {
  return JSON.stringify(bare(e), (k, v) => (k === '_location' ? undefined : v))
}

/** Builds a call of a pg_catalog aggregate, for the hidden columns of avg. */
export function call(name: string, args: Expr[]): ExprCall {
  return { type: 'call', function: { name }, args }
}

/** Visits every object node under `node` (not `node` itself), depth first. */
export function someNode(node: unknown, test: (n: Record<string, unknown>) => boolean): boolean {
  if (typeof node !== 'object' || node === null) return false
  for (const value of Object.values(node)) {
    if (typeof value !== 'object' || value === null) continue
    if (!Array.isArray(value) && test(value as Record<string, unknown>)) return true
    if (someNode(value, test)) return true
  }
  return false
}

/** True when `e` holds an aggregate call anywhere. */
export function hasAggregate(e: unknown): boolean {
  const self = typeof e === 'object' && e !== null && aggregateName(e as Expr) !== undefined
  return self || someNode(e, (n) => aggregateName(n as unknown as Expr) !== undefined)
}

/** Built-in set-returning functions: in a select list they multiply rows, which an aggregate would merge. */
export const SET_RETURNING: ReadonlySet<string> = new Set([
  ...['generate_series', 'generate_subscripts', 'unnest', 'regexp_matches', 'regexp_split_to_table'],
  ...['string_to_table', 'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text'],
  ...['jsonb_array_elements_text', 'json_each', 'jsonb_each', 'json_each_text', 'jsonb_each_text'],
  ...['json_object_keys', 'jsonb_object_keys', 'jsonb_path_query', 'json_populate_recordset'],
  ...['jsonb_populate_recordset', 'json_to_recordset', 'jsonb_to_recordset'],
])

/** True when `e` calls a built-in set-returning function anywhere. */
export function hasSetReturning(e: unknown): boolean {
  const srf = (n: Record<string, unknown>) =>
    n.type === 'call' && SET_RETURNING.has((n.function as { name: string }).name)
  return (typeof e === 'object' && e !== null && srf(e as Record<string, unknown>)) || someNode(e, srf)
}

const QUERY_TYPES = new Set(['select', 'union', 'union all', 'with', 'with recursive', 'values'])

/**
 * Why `statement` cannot run per shard as it is, whatever the outer query merges: a window function,
 * or a nested query whose rows depend on every shard's (aggregate, GROUP BY, DISTINCT, LIMIT, set
 * operation) or that locks rows. A plain nested query runs per shard, as a join of co-located data.
 */
export function nestedRefusal(statement: Statement): string | undefined {
  let why: string | undefined
  someNode(statement, (n) => {
    if (n.type === 'call' && n.over !== undefined) why = 'window functions'
    else if (QUERY_TYPES.has(n.type as string)) why = nestedQueryRefusal(n)
    return why !== undefined
  })
  return why
}

function nestedQueryRefusal(n: Record<string, unknown>): string | undefined {
  if (n.type === 'union' || n.type === 'union all') return 'set operations (UNION, INTERSECT, EXCEPT)'
  if (n.type !== 'select') return undefined
  if (n.for !== undefined) return 'FOR UPDATE / FOR SHARE'
  const needsAll = n.groupBy !== undefined || n.distinct !== undefined || n.limit !== undefined
  if (needsAll || (n.columns as unknown[] | undefined)?.some((c) => hasAggregate(c)))
    return 'subqueries that aggregate, group, deduplicate or limit (they would run on each shard alone)'
  return undefined
}
