/**
 * Which values a parsed statement gives the sharding key column, as literal indices or `$n`
 * (sharding-key.ts turns parser locations into literal indices). Conservative by design: a form not
 * listed here locates nothing (kind `none`), so the router falls back to other means; it never names
 * a value the rows might not have.
 * - SELECT, UPDATE, DELETE: `key = v` or `v = key`, or `key IN (v, …)`, as one of the conditions
 *   ANDed at the top of the WHERE (under OR or NOT it bounds nothing). The first equality wins: any one
 *   conjunct bounds the rows, so the others need not agree. Else the first IN, all of its values.
 * - The column is the key table's when qualified by that table's alias (or its name when it has none),
 *   or bare when the key table is the statement's only table (with a join, a bare name may be another
 *   table's column, and only the catalog could tell).
 * - A value is a literal or a parameter, under any number of unary minus or plus and casts to integer
 *   types (and, for literals, to numeric or text: `5::real` would round 16777217 to a float that
 *   another key equals, so it is not a value); anything else (an expression, NULL, a subquery) is not.
 * - INSERT into the key table: the key of each row of a VALUES list, or an error (no column list,
 *   a query, DEFAULT or an expression in the key's place), since an insert cannot be sent to every
 *   shard. UPDATE of the key table that sets the key (also in ON CONFLICT DO UPDATE): an error. A
 *   WITH query whose parts write the key table: an error too (its key is not looked for).
 * @see https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-PRECEDENCE
 * @module
 */
import type {
  Expr,
  ExprBinary,
  From,
  InsertStatement,
  QNameAliased,
  SetStatement,
  Statement,
} from 'pgsql-ast-parser'
import type { KeyLocator, KeyRef, ShardingKeyColumn } from './sharding-key.js'

/** The text parsed, and the shape's literal at parser locations `[start, end)`, if exactly one. */
export interface LiteralMap {
  readonly sql: string
  at(start: number, end: number): number | undefined
}

/** How the key column may be named in a statement: qualified by one of `qualifiers`, or bare. */
interface Scope {
  readonly qualifiers: ReadonlySet<string>
  readonly bare: boolean
}

const NONE: KeyLocator = { kind: 'none' }
const INT_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'int8',
  'smallint',
  'int',
  'integer',
  'bigint',
])
const LITERAL_TYPES: ReadonlySet<string> = new Set([...INT_TYPES, 'numeric', 'decimal', 'text', 'varchar'])

/** The key values statement `s` gives, an error, or none. */
export function statementKeys(s: Statement, key: ShardingKeyColumn, literals: LiteralMap): KeyLocator {
  switch (s.type) {
    case 'select':
      return whereKeys(s.where, fromScope(s.from ?? [], key), key, literals)
    case 'delete':
      return whereKeys(s.where, targetScope(s.from, undefined, key), key, literals)
    case 'update':
      if (s.table.name === key.table && setsKey(s.sets, key)) return movesKey(key)
      return whereKeys(s.where, targetScope(s.table, s.from, key), key, literals)
    case 'insert':
      return s.into.name === key.table ? insertKeys(s, key, literals) : NONE
    case 'with':
      return [...s.bind.map((b) => b.statement), s.in].some((w) => writesTable(w, key))
        ? withError(key)
        : NONE
    default:
      return NONE
  }
}

/** Whether `s` inserts into, updates or deletes from the key table. */
function writesTable(s: Statement, key: ShardingKeyColumn): boolean {
  switch (s.type) {
    case 'insert':
      return s.into.name === key.table
    case 'update':
      return s.table.name === key.table
    case 'delete':
      return s.from.name === key.table
    default:
      return false
  }
}

/** A WITH query that writes the key table: its key is not looked for, and a write cannot go everywhere. */
function withError(key: ShardingKeyColumn): KeyLocator {
  return {
    kind: 'error',
    message: `a WITH query that writes sharded table ${key.table} cannot be routed by its sharding key`,
    hint: `run the INSERT, UPDATE or DELETE on ${key.table} as its own statement, or choose the shard with SET SHARDING KEY`,
  }
}

function movesKey(key: ShardingKeyColumn): KeyLocator {
  const name = `${key.table}.${key.column}`
  return {
    kind: 'error',
    message: `updating the sharding key ${name} would move the row to another shard; delete and re-insert it instead`,
    hint: `DELETE the row on its shard, then INSERT it with the new ${key.column}`,
  }
}

function setsKey(sets: readonly SetStatement[], key: ShardingKeyColumn): boolean {
  return sets.some((set) => set.column.name === key.column)
}

/** A SELECT's FROM list: the key table's names, and whether it is the only table. */
function fromScope(from: readonly From[], key: ShardingKeyColumn): Scope {
  const qualifiers = new Set<string>()
  for (const item of from) {
    if (item.type === 'table' && item.name.name === key.table) qualifiers.add(item.name.alias ?? key.table)
  }
  const only = from.length === 1 && qualifiers.size === 1
  return { qualifiers, bare: only }
}

/** An UPDATE or DELETE target, with UPDATE's FROM item if any. */
function targetScope(target: QNameAliased, from: From | null | undefined, key: ShardingKeyColumn): Scope {
  const scope = fromScope(from ? [from] : [], key)
  if (target.name !== key.table) return { qualifiers: scope.qualifiers, bare: false }
  const qualifiers = new Set(scope.qualifiers).add(target.alias ?? key.table)
  return { qualifiers, bare: !from }
}

/** The refs of the first key equality ANDed at the top of `where`, else of the first key IN. */
function whereKeys(
  where: Expr | null | undefined,
  scope: Scope,
  key: ShardingKeyColumn,
  lm: LiteralMap,
): KeyLocator {
  if (!where || (scope.qualifiers.size === 0 && !scope.bare)) return NONE
  let firstIn: KeyRef[] | undefined
  for (const c of conjuncts(where, [])) {
    if (c.type !== 'binary' || (c.opSchema !== undefined && c.opSchema !== 'pg_catalog')) continue
    if (c.op === '=') {
      const ref = equalityRef(c, scope, key, lm)
      if (ref !== undefined) return { kind: 'keys', refs: [ref] }
    } else if (c.op === 'IN' && firstIn === undefined && isKeyColumn(c.left, scope, key)) {
      firstIn = inRefs(c.right, lm)
    }
  }
  return firstIn === undefined ? NONE : { kind: 'keys', refs: firstIn }
}

/** The conditions ANDed together at the top of `e`. */
function conjuncts(e: Expr, out: Expr[]): Expr[] {
  if (e.type === 'binary' && e.op === 'AND' && e.opSchema === undefined) {
    conjuncts(e.left, out)
    conjuncts(e.right, out)
  } else {
    out.push(e)
  }
  return out
}

function equalityRef(
  c: ExprBinary,
  scope: Scope,
  key: ShardingKeyColumn,
  lm: LiteralMap,
): KeyRef | undefined {
  if (isKeyColumn(c.left, scope, key)) return valueRef(c.right, lm, false, true)
  if (isKeyColumn(c.right, scope, key)) return valueRef(c.left, lm, false, true)
  return undefined
}

function inRefs(list: Expr, lm: LiteralMap): KeyRef[] | undefined {
  if (list.type !== 'list' || list.expressions.length === 0) return undefined
  const refs: KeyRef[] = []
  for (const e of list.expressions) {
    const ref = valueRef(e, lm, false, true)
    if (ref === undefined) return undefined
    refs.push(ref)
  }
  return refs
}

function isKeyColumn(e: Expr, scope: Scope, key: ShardingKeyColumn): boolean {
  if (e.type !== 'ref' || e.name !== key.column) return false
  return e.table === undefined ? scope.bare : scope.qualifiers.has(e.table.name)
}

/**
 * `e` as one key value: a literal (possibly negated) or a parameter, under unary signs and casts.
 * `paramOk`: no cast on the way down made a parameter's type other than an integer (a `$1::text`
 * sent in binary would be text bytes, not an int8).
 */
function valueRef(e: Expr, lm: LiteralMap, negate: boolean, paramOk: boolean): KeyRef | undefined {
  switch (e.type) {
    case 'integer':
    case 'numeric':
    case 'string':
      return literalRef(e._location, e.type !== 'string', lm, negate)
    case 'parameter':
      return paramOk && !negate && /^\$[1-9][0-9]{0,4}$/.test(e.name)
        ? { param: Number(e.name.slice(1)) }
        : undefined
    case 'unary':
      if (e.opSchema !== undefined || (e.op !== '-' && e.op !== '+')) return undefined
      return valueRef(e.operand, lm, e.op === '-' ? !negate : negate, paramOk)
    case 'cast': {
      const to = e.to
      if (to.kind !== undefined || to.config || to.doubleQuoted) return undefined
      if (to.schema !== undefined && to.schema !== 'pg_catalog') return undefined
      if (!LITERAL_TYPES.has(to.name)) return undefined
      return valueRef(e.operand, lm, negate, paramOk && INT_TYPES.has(to.name))
    }
    default:
      return undefined
  }
}

/**
 * The literal at `loc`. The parser folds a `-` written right before a number into the number
 * (`id=-5` is one integer node at `-5`), where the shape has `-` and then the literal `5`.
 */
function literalRef(
  loc: { start: number; end: number } | undefined,
  numeric: boolean,
  lm: LiteralMap,
  negate: boolean,
): KeyRef | undefined {
  if (loc === undefined) return undefined
  const i = lm.at(loc.start, loc.end)
  if (i !== undefined) return { literal: i, negate }
  if (!numeric || lm.sql.charCodeAt(loc.start) !== 0x2d) return undefined
  const j = lm.at(loc.start + 1, loc.end)
  return j === undefined ? undefined : { literal: j, negate: !negate }
}

/** Each row's key in an INSERT into the key table, or why it cannot be routed. */
function insertKeys(s: InsertStatement, key: ShardingKeyColumn, lm: LiteralMap): KeyLocator {
  const conflict = s.onConflict?.do
  if (conflict !== undefined && conflict !== 'do nothing' && setsKey(conflict.sets, key)) return movesKey(key)
  const column = (s.columns ?? []).findIndex((c) => c.name === key.column)
  const refs: KeyRef[] = []
  if (column >= 0 && s.insert.type === 'values') {
    for (const row of s.insert.values) {
      const value = row[column]
      const ref = value === undefined ? undefined : valueRef(value, lm, false, true)
      if (ref === undefined) return insertError(key)
      refs.push(ref)
    }
    return { kind: 'keys', refs }
  }
  return insertError(key)
}

function insertError(key: ShardingKeyColumn): KeyLocator {
  return {
    kind: 'error',
    message: `INSERT into sharded table ${key.table} must give ${key.column} as a literal or parameter in a VALUES list`,
    hint: `name ${key.column} in the column list and give each row's value: INSERT INTO ${key.table} (${key.column}, …) VALUES ($1, …)`,
  }
}
