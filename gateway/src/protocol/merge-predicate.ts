/**
 * A HAVING condition evaluated on merged groups, with SQL's three-valued logic (NULL is unknown; a
 * group is kept only when the condition is true). Comparisons use the column type's order
 * (value-compare.ts) with the constant read as that type; an ordering comparison of text needs the C
 * collation, which the planner cannot request here, so only `=` and `<>` are allowed on text types.
 * @see https://www.postgresql.org/docs/current/functions-logical.html
 * @module
 */

import { must, type Row } from './merge-refusal.js'
import type { ColumnIndex, MergeComparison, MergePredicate } from './merge-spec.js'
import { equalityKey, valueOrder } from './value-compare.js'

/** A predicate with its columns resolved and its constants decoded. */
export type PreparedPredicate =
  | { op: 'and' | 'or'; args: PreparedPredicate[] }
  | { op: 'not'; arg: PreparedPredicate }
  | { op: 'is null' | 'is not null'; column: number }
  | { op: MergeComparison; column: number; test: ((v: Buffer) => boolean) | null }

const TESTS: Record<MergeComparison, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
}

/** Resolves `p` against a result's column types; throws MergeRefusal for a type it cannot compare. */
export function preparePredicate(
  p: MergePredicate,
  index: (c: ColumnIndex) => number,
  types: readonly number[],
): PreparedPredicate {
  switch (p.op) {
    case 'and':
    case 'or':
      return { op: p.op, args: p.args.map((a) => preparePredicate(a, index, types)) }
    case 'not':
      return { op: 'not', arg: preparePredicate(p.arg, index, types) }
    case 'is null':
    case 'is not null':
      return { op: p.op, column: index(p.column) }
    default: {
      const column = index(p.column)
      if (p.value === null) return { op: p.op, column, test: null }
      const constant = Buffer.from(p.value)
      const outcome = TESTS[p.op]
      if (p.op === '=' || p.op === '<>') {
        const key = must(equalityKey(types[column]!))
        const want = key(constant)
        return { op: p.op, column, test: (v) => outcome(key(v) === want ? 0 : 1) }
      }
      const order = must(valueOrder(types[column]!, false))
      const decoded = order.decode(constant)
      return { op: p.op, column, test: (v) => outcome(order.compare(order.decode(v), decoded)) }
    }
  }
}

/** true, false, or null for unknown. */
export function evaluatePredicate(p: PreparedPredicate, row: Row): boolean | null {
  switch (p.op) {
    case 'and': {
      let result: boolean | null = true
      for (const a of p.args) {
        const v = evaluatePredicate(a, row)
        if (v === false) return false
        if (v === null) result = null
      }
      return result
    }
    case 'or': {
      let result: boolean | null = false
      for (const a of p.args) {
        const v = evaluatePredicate(a, row)
        if (v === true) return true
        if (v === null) result = null
      }
      return result
    }
    case 'not': {
      const v = evaluatePredicate(p.arg, row)
      return v === null ? null : !v
    }
    case 'is null':
      return row[p.column] === null
    case 'is not null':
      return row[p.column] !== null
    default: {
      const v = row[p.column]
      return v === null || v === undefined || p.test === null ? null : p.test(v)
    }
  }
}
