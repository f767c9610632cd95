/**
 * The plan of a cross-shard read (`cross_shard_reads = true`): a read-only SELECT that names no shard
 * runs on every shard, and the client gets one result as if from one database. The plan is the
 * statement each shard runs (cross-shard-select.ts) and the {@link MergeSpec} the combiner
 * (protocol/cross-shard-result.ts) applies to the merged rows, or a refusal naming the construct
 * that cannot be merged (window functions, DISTINCT ON, set operations, aggregates other than count,
 * sum, min, max, avg, bool_and and bool_or, …).
 *
 * Text order: the combiner compares text bytewise, which is the C collation's order. The planner
 * cannot know a column's type or collation, so it does not add COLLATE itself (COLLATE on an integer
 * is an error); it carries the query's own `COLLATE "C"` on each ORDER BY key and min/max argument to
 * the combiner, which refuses (0A000, before any row goes out) to sort text, varchar or bpchar without
 * it: "comparing text across shards needs COLLATE "C"". So the client never gets rows in an order its
 * database would not give, even where the database's default collation happens to be C.
 *
 * Cost: pgsql-ast-parser parses the text on a cache miss (≈ 50 µs to a few ms; 0.3 s to load on first
 * use). A cross-shard read fans out to every shard and waits for all of them, so a parse per new text
 * is acceptable; plans are kept in a bounded LRU keyed by the exact text.
 * @see https://www.postgresql.org/docs/current/sql-select.html
 * @module
 */
import type { Statement } from 'pgsql-ast-parser'
import { markCollations, restoreCollations } from './collate-marker.js'
import { astParser, hasSetReturning, nestedRefusal } from './cross-shard-ast.js'
import { unknownFunction } from './cross-shard-functions.js'
import { Refusal } from './cross-shard-refusal.js'
import { SelectRewrite } from './cross-shard-select.js'
import { Lru } from './lru.js'
import type { MergeSpec } from './merge-spec.js'

/** What to do with a cross-shard read. */
export type CrossShardPlan =
  | { readonly kind: 'merge'; readonly shardSql: string; readonly merge: MergeSpec }
  | { readonly kind: 'refuse'; readonly message: string; readonly hint?: string }

const HINT = 'Pick a shard with SET SHARD TO or a sharding key, or run the query on one shard.'
const CACHE_SIZE = 1000
const cache = new Lru<string, CrossShardPlan>(CACHE_SIZE)

/**
 * The plan of `sql` (cached by its exact text).
 * @example
 * planCrossShardRead('select grp, count(*) from t group by grp order by 2 desc limit 3')
 * // { kind: 'merge', shardSql: 'SELECT grp , (count (*) ) FROM t GROUP BY grp', merge: { … } }
 */
export function planCrossShardRead(sql: string): CrossShardPlan {
  let plan = cache.get(sql)
  if (plan === undefined) {
    plan = planUncached(sql)
    cache.set(sql, plan)
  }
  return plan
}

function refuse(what: string): CrossShardPlan {
  return { kind: 'refuse', message: `cross-shard read: ${what} cannot be merged across shards`, hint: HINT }
}

function planUncached(sql: string): CrossShardPlan {
  const marked = markCollations(sql)
  if ('refuse' in marked) return refuse(`this COLLATE (${marked.refuse})`)
  let statements: Statement[]
  try {
    statements = astParser().parse(marked.text)
  } catch {
    return refuse(
      /\binto\b/i.test(sql)
        ? 'SELECT INTO (or a statement Skiff cannot parse)'
        : 'a statement Skiff cannot parse',
    )
  }
  if (statements.length !== 1)
    return refuse(statements.length === 0 ? 'an empty query' : 'a multi-statement text')
  const statement = statements[0]!
  const unknown = unknownFunction(statement)
  const why =
    topLevelRefusal(statement) ??
    nestedRefusal(statement) ??
    (unknown === undefined ? undefined : `the function ${unknown} (it could be a user-defined aggregate)`)
  if (why !== undefined) return refuse(why)
  try {
    const { statement: shard, spec } = new SelectRewrite(statement as never).plan()
    return { kind: 'merge', shardSql: restoreCollations(astParser().toSql.statement(shard)), merge: spec }
  } catch (error) {
    if (error instanceof Refusal) return refuse(error.message)
    throw error
  }
}

/** Why the statement itself, not what is nested in it, cannot be planned. */
function topLevelRefusal(s: Statement): string | undefined {
  switch (s.type) {
    case 'select':
      break
    case 'union':
    case 'union all':
      return 'set operations (UNION, INTERSECT, EXCEPT)'
    case 'with':
    case 'with recursive':
      return 'WITH queries'
    default:
      return `${s.type.toUpperCase()} (only a SELECT)`
  }
  if (s.for !== undefined) return 'FOR UPDATE / FOR SHARE'
  if (Array.isArray(s.distinct)) return 'DISTINCT ON'
  if (s.from === undefined) return 'a SELECT without FROM'
  if (s.columns?.some((c) => hasSetReturning(c.expr))) return 'set-returning functions in the select list'
  return undefined
}
