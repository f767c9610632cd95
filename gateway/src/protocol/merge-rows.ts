/**
 * The rows of every shard, merged per a {@link MergeSpec} into the rows one server would return:
 * group and combine aggregates, HAVING, DISTINCT, ORDER BY, OFFSET / LIMIT, then the hidden columns
 * dropped (the order of Postgres's own steps; ORDER BY comes after DISTINCT since DISTINCT's sort
 * keys must be output columns). Values are the raw text-format bytes of the DataRows.
 * @see https://www.postgresql.org/docs/current/sql-select.html#SQL-SELECT-DESCRIPTION
 * @module
 */
import { type Accumulator, type AccumulatorFactory, accumulatorFor, averageOf } from './merge-aggregates.js'
import { evaluatePredicate, preparePredicate } from './merge-predicate.js'
import { MergeRefusal, must, type Row } from './merge-refusal.js'
import type { ColumnIndex, MergeSpec } from './merge-spec.js'
import { equalityKey, valueOrder } from './value-compare.js'

interface SortStep {
  column: number
  descending: boolean
  nullsFirst: boolean
  decode: (v: Buffer) => unknown
  compare: (a: unknown, b: unknown) => number
}

interface Group {
  row: Row
  accumulators: Accumulator[]
}

/** Merges rows for a result whose columns have the type OIDs `types`; throws MergeRefusal when it cannot. */
export class RowMerger {
  private readonly groups = new Map<string, Group>()
  private readonly rows: Row[] = []
  private readonly groupKey?: (row: Row) => string
  private readonly factories: Array<[column: number, make: AccumulatorFactory]> = []
  private readonly averages: Array<(row: Row) => void> = []
  private readonly visible: number
  private readonly sortSteps: SortStep[]

  constructor(
    private readonly spec: MergeSpec,
    private readonly types: readonly number[],
  ) {
    this.visible = types.length - spec.hidden
    if (this.visible < 1) throw new MergeRefusal('the shard result has fewer columns than the plan hides')
    if (spec.group !== undefined) {
      const keys = spec.group.keys.map((c) => this.index(c))
      const makers = keys.map((c) => must(equalityKey(types[c]!)))
      this.groupKey = (row) => JSON.stringify(keys.map((c, i) => nullOr(row[c]!, makers[i]!)))
      this.prepareAggregates()
    }
    this.sortSteps = spec.sort.map((k) => {
      const column = this.index(k.column)
      const order = must(valueOrder(types[column]!, k.collateC))
      return { ...k, column, decode: order.decode, compare: order.compare }
    })
  }

  private prepareAggregates(): void {
    for (const agg of this.spec.group!.aggregates) {
      const column = this.index(agg.column)
      this.factories.push([column, must(accumulatorFor(agg, this.types[column]!))])
      if (agg.fn !== 'avg') continue
      const [sum, count] = [this.index(agg.sum), this.index(agg.count)]
      const average = must(averageOf(this.types[column]!, this.types[sum]!))
      this.averages.push((row) => {
        row[column] = average(row[sum]!, row[count]!)
      })
    }
  }

  /** The column `c` (negative: from the end) as an index, checked. */
  index(c: ColumnIndex): number {
    const i = c < 0 ? this.types.length + c : c
    if (!Number.isInteger(i) || i < 0 || i >= this.types.length)
      throw new MergeRefusal(`the plan names column ${c} of a result with ${this.types.length}`)
    return i
  }

  /** Takes one shard row. */
  add(row: Row): void {
    if (this.groupKey === undefined) return void this.rows.push(row)
    const key = this.groupKey(row)
    let group = this.groups.get(key)
    if (group === undefined) {
      group = { row, accumulators: this.factories.map(([, make]) => make()) }
      this.groups.set(key, group)
    }
    for (let i = 0; i < this.factories.length; i++) group.accumulators[i]!.add(row[this.factories[i]![0]]!)
  }

  /** The merged rows, visible columns only. */
  finish(): Row[] {
    let rows = this.groupKey === undefined ? this.rows : this.mergedGroups()
    if (this.spec.having !== undefined) {
      const test = preparePredicate(this.spec.having, (c) => this.index(c), this.types)
      rows = rows.filter((row) => evaluatePredicate(test, row) === true)
    }
    if (this.spec.distinct) rows = this.distinct(rows)
    if (this.sortSteps.length > 0) rows = this.sorted(rows)
    const end = this.spec.limit === undefined ? undefined : this.spec.offset + this.spec.limit
    rows = rows.slice(this.spec.offset, end)
    return this.spec.hidden === 0 ? rows : rows.map((r) => r.slice(0, this.visible))
  }

  private mergedGroups(): Row[] {
    return Array.from(this.groups.values(), (g) => {
      const row = g.row.slice()
      for (let i = 0; i < this.factories.length; i++) row[this.factories[i]![0]] = g.accumulators[i]!.result()
      for (const average of this.averages) average(row)
      return row
    })
  }

  private distinct(rows: Row[]): Row[] {
    const makers = this.types.slice(0, this.visible).map((t) => must(equalityKey(t)))
    const seen = new Set<string>()
    return rows.filter((row) => {
      const key = JSON.stringify(makers.map((make, c) => nullOr(row[c]!, make)))
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }

  private sorted(rows: Row[]): Row[] {
    const steps = this.sortSteps
    const decorated = rows.map((row) => ({ row, keys: steps.map((s) => nullOr(row[s.column]!, s.decode)) }))
    decorated.sort((a, b) => {
      for (let i = 0; i < steps.length; i++) {
        const c = compareKeys(steps[i]!, a.keys[i], b.keys[i])
        if (c !== 0) return c
      }
      return 0
    })
    return decorated.map((d) => d.row)
  }
}

function nullOr<T>(value: Buffer | null, f: (v: Buffer) => T): T | null {
  return value === null ? null : f(value)
}

/** One key's order: NULLs where `nullsFirst` puts them, values reversed when descending. */
function compareKeys(step: SortStep, a: unknown, b: unknown): number {
  if (a === null || b === null) {
    if (a === b) return 0
    return (a === null) === step.nullsFirst ? -1 : 1
  }
  const c = step.compare(a, b)
  return step.descending ? -c : c
}
