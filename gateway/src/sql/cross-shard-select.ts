/**
 * The rewrite of one SELECT for a cross-shard read: the statement each shard runs, and the
 * {@link MergeSpec} that turns the shards' rows into one result. Columns the merge needs and the
 * client did not ask for (an ORDER BY key outside the select list, a group key, avg's sum and count,
 * an aggregate of HAVING or ORDER BY) are appended to the shard's select list as hidden columns.
 * - Plain rows: each shard keeps DISTINCT and ORDER BY; LIMIT n OFFSET m becomes LIMIT n+m, since
 *   the first n+m rows of the merged order are among the first n+m of some shard.
 * - Aggregates or GROUP BY: each shard groups and aggregates its own rows; HAVING, DISTINCT, ORDER BY
 *   and LIMIT apply to merged groups only, so the shard drops them (a shard's partial group must
 *   neither be filtered nor cut).
 * Throws {@link Refusal} with the construct it cannot plan.
 * @see https://www.postgresql.org/docs/current/sql-select.html
 * @module
 */
import type { Expr, OrderByStatement, SelectedColumn, SelectFromStatement } from 'pgsql-ast-parser'
import { aggregateName, bare, call, collated, exprKey, hasAggregate, MERGEABLE } from './cross-shard-ast.js'
import { compileHaving } from './cross-shard-having.js'
import { Refusal } from './cross-shard-refusal.js'
import type { MergeAggregate, MergeSortKey, MergeSpec } from './merge-spec.js'

/** One output column of the shard statement. */
interface Item {
  expr: Expr
  alias?: string
}

/** The shard statement's select list and what the merge knows about it, as it is built. */
export class SelectRewrite {
  readonly items: Item[]
  readonly visible: number
  readonly aggregates: MergeAggregate[] = []
  readonly keys: number[] = []
  readonly star: boolean
  private readonly aggregated: boolean

  constructor(readonly select: SelectFromStatement) {
    this.items = (select.columns ?? []).map((c: SelectedColumn) => ({ expr: c.expr, alias: c.alias?.name }))
    this.visible = this.items.length
    this.star = this.items.some((i) => i.expr.type === 'ref' && i.expr.name === '*')
    this.aggregated = select.groupBy !== undefined || this.items.some((i) => hasAggregate(i.expr))
  }

  /** The shard statement and the merge. */
  plan(): { statement: SelectFromStatement; spec: MergeSpec } {
    return this.aggregated ? this.planAggregate() : this.planRows()
  }

  private planRows(): { statement: SelectFromStatement; spec: MergeSpec } {
    const s = this.select
    if (s.having != null) throw new Refusal('HAVING without aggregates')
    const sort = (s.orderBy ?? []).map((o) => this.sortKey(o, false)).map((k) => this.fromEnd(k))
    const { limit, offset } = limits(s)
    const shardLimit = limit === undefined ? undefined : { limit: { type: 'integer', value: limit + offset } }
    const statement = { ...s, columns: this.columns(), limit: shardLimit } as SelectFromStatement
    return { statement, spec: this.spec({ sort, limit, offset, distinct: s.distinct === 'distinct' }) }
  }

  private planAggregate(): { statement: SelectFromStatement; spec: MergeSpec } {
    const s = this.select
    if (this.star) throw new Refusal('SELECT * with aggregates or GROUP BY')
    for (const g of s.groupBy ?? []) this.keys.push(this.groupKey(g))
    for (let i = 0; i < this.visible; i++) this.classify(i)
    const having = s.having == null ? undefined : compileHaving(s.having, (e) => this.aggregateColumn(e))
    const sort = (s.orderBy ?? []).map((o) => this.sortKey(o, true))
    const { limit, offset } = limits(s)
    const statement = {
      ...s,
      columns: this.columns(),
      having: undefined,
      orderBy: undefined,
      limit: undefined,
    }
    delete statement.distinct
    const distinct = s.distinct === 'distinct'
    const spec = this.spec({ sort, limit, offset, distinct, having })
    return { statement, spec: { ...spec, group: { keys: this.keys, aggregates: this.aggregates } } }
  }

  private spec(parts: Omit<MergeSpec, 'hidden'>): MergeSpec {
    const spec: MergeSpec = { ...parts, hidden: this.items.length - this.visible }
    if (spec.limit === undefined) delete (spec as { limit?: number }).limit
    if (spec.having === undefined) delete (spec as { having?: unknown }).having
    return spec
  }

  private columns(): SelectedColumn[] {
    return this.items.map((i) =>
      i.alias === undefined ? { expr: i.expr } : { expr: i.expr, alias: { name: i.alias } },
    )
  }

  /** Appends a hidden column; its index in the shard row (see {@link fromEnd} for a `*`). */
  private hide(expr: Expr): number {
    this.items.push({ expr, alias: `__xs${this.items.length - this.visible}` })
    return this.items.length - 1
  }

  /** With a `*`, the row's width is unknown: hidden columns are counted from the end instead. */
  private fromEnd(key: MergeSortKey): MergeSortKey {
    return this.star ? { ...key, column: key.column - this.items.length } : key
  }

  /** The index of the column with expression `e` (ignoring COLLATE "C"), if there is one. */
  private find(e: Expr): number | undefined {
    if (this.star) return undefined
    const key = exprKey(e)
    const i = this.items.findIndex((item) => exprKey(item.expr) === key)
    return i < 0 ? undefined : i
  }

  private groupKey(g: Expr): number {
    if (g.type === 'integer') return this.ordinal(g.value, 'GROUP BY')
    if (hasAggregate(g)) throw new Refusal('aggregates in GROUP BY')
    return this.find(g) ?? this.hide(g)
  }

  private ordinal(n: number, clause: string): number {
    if (this.star || n < 1 || n > this.visible)
      throw new Refusal(`${clause} position ${n} with * or out of range`)
    return n - 1
  }

  /** Sorts out visible column `i`: group key, aggregate, or a value carried from the group. */
  private classify(i: number): void {
    const expr = this.items[i]!.expr
    if (this.keys.includes(i)) return
    if (aggregateName(expr) !== undefined) return this.addAggregate(i, expr)
    if (hasAggregate(expr)) throw new Refusal('expressions around aggregates (such as count(*) + 1)')
    const key = this.keys.find((k) => exprKey(this.items[k]!.expr) === exprKey(expr))
    if (key !== undefined) this.keys.push(i) // the same expression as a key: the same value
  }

  /** The column holding aggregate `e` (added hidden when it is not selected), for HAVING and ORDER BY. */
  aggregateColumn(e: Expr): number {
    const found = this.find(e)
    if (found !== undefined) return found
    if (aggregateName(e) === undefined)
      throw new Refusal('HAVING or ORDER BY on an expression that is not an output column')
    const column = this.hide(e)
    this.addAggregate(column, e)
    return column
  }

  private addAggregate(column: number, e: Expr): void {
    const name = aggregateName(e)!
    if (e.type !== 'call' || !MERGEABLE.has(name)) throw new Refusal(`the aggregate ${name}`)
    if (e.distinct === 'distinct' || e.filter !== undefined || e.orderBy !== undefined || e.withinGroup)
      throw new Refusal(`${name} with DISTINCT, FILTER or ORDER BY inside`)
    if (e.args.length !== 1) throw new Refusal(`${name} of ${e.args.length} arguments`)
    const fn = name === 'every' ? 'bool_and' : name
    if (fn === 'min' || fn === 'max')
      this.aggregates.push({ column, fn, collateC: collated(e.args[0]!) !== undefined })
    else if (fn !== 'avg')
      this.aggregates.push({ column, fn: fn as 'count' | 'sum' | 'bool_and' | 'bool_or' })
    else {
      const sum = this.hide(call('sum', e.args))
      const count = this.hide(call('count', e.args))
      this.aggregates.push({ column: sum, fn: 'sum' }, { column: count, fn: 'count' })
      this.aggregates.push({ column, fn: 'avg', sum, count })
    }
  }

  private sortKey(o: OrderByStatement, aggregated: boolean): MergeSortKey {
    const descending = o.order === 'DESC'
    const nullsFirst = o.nulls === undefined ? descending : o.nulls === 'FIRST'
    let collateC = collated(o.by) !== undefined
    let column: number
    if (o.by.type === 'integer') column = this.ordinal(o.by.value, 'ORDER BY')
    else {
      const alias = this.aliasColumn(bare(o.by))
      column =
        alias ?? this.find(o.by) ?? (aggregated ? this.aggregateColumn(bare(o.by)) : this.hiddenSortKey(o.by))
    }
    if (column >= 0 && column < this.visible) collateC ||= collated(this.items[column]!.expr) !== undefined
    return { column, descending, nullsFirst, collateC }
  }

  /** An output column named by a bare ORDER BY name (output names come first in ORDER BY). */
  private aliasColumn(e: Expr): number | undefined {
    if (e.type !== 'ref' || e.table !== undefined || this.star) return undefined
    const i = this.items.findIndex((item, k) => k < this.visible && item.alias === e.name)
    return i < 0 ? undefined : i
  }

  private hiddenSortKey(e: Expr): number {
    if (this.select.distinct === 'distinct')
      throw new Refusal('ORDER BY expressions outside the select list with DISTINCT')
    return this.hide(e)
  }
}

/** The constant LIMIT and OFFSET (NULL: none). */
function limits(s: SelectFromStatement): { limit?: number; offset: number } {
  const limit = constant(s.limit?.limit, 'LIMIT')
  return { limit, offset: constant(s.limit?.offset, 'OFFSET') ?? 0 }
}

function constant(e: Expr | null | undefined, clause: string): number | undefined {
  if (e == null || e.type === 'null') return undefined
  if (e.type !== 'integer') throw new Refusal(`a ${clause} that is not a constant`)
  if (!Number.isSafeInteger(e.value) || e.value < 0) throw new Refusal(`${clause} ${e.value}`)
  return e.value
}
