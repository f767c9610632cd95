/**
 * HAVING of a cross-shard aggregate, compiled into a {@link MergePredicate} the combiner evaluates on
 * merged groups: a shard's HAVING would see only its partial groups (a group with 3 rows on one shard
 * and 2 on another fails `count(*) > 4` on both), so the shard never applies it. Supported: AND, OR,
 * NOT, IS [NOT] NULL, and comparisons of an aggregate or group key with a constant.
 * @see https://www.postgresql.org/docs/current/sql-select.html#SQL-HAVING
 * @module
 */
import type { Expr } from 'pgsql-ast-parser'
import { Refusal } from './cross-shard-refusal.js'
import type { MergeComparison, MergePredicate } from './merge-spec.js'

const COMPARISONS: Record<string, MergeComparison> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
}
/** The comparison with its operands swapped (`1 < x` is `x > 1`). */
const FLIPPED: Record<MergeComparison, MergeComparison> = {
  '=': '=',
  '<>': '<>',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
}

/** `e`'s text when it is a constant, undefined when it is not; null for NULL. */
function constantText(e: Expr): string | null | undefined {
  switch (e.type) {
    case 'integer':
    case 'numeric':
      return /e/i.test(String(e.value)) ? undefined : String(e.value)
    case 'string':
      return e.value
    case 'boolean':
      return e.value ? 't' : 'f'
    case 'null':
      return null
    default:
      return undefined
  }
}

/** Compiles `e`; `columnOf` gives the (possibly hidden) column of an aggregate or group key. */
export function compileHaving(e: Expr, columnOf: (e: Expr) => number): MergePredicate {
  if (e.type === 'unary') {
    if (e.op === 'NOT') return { op: 'not', arg: compileHaving(e.operand, columnOf) }
    if (e.op === 'IS NULL' || e.op === 'IS NOT NULL')
      return { op: e.op === 'IS NULL' ? 'is null' : 'is not null', column: columnOf(e.operand) }
  }
  if (e.type === 'binary') {
    if (e.op === 'AND' || e.op === 'OR')
      return {
        op: e.op === 'AND' ? 'and' : 'or',
        args: [compileHaving(e.left, columnOf), compileHaving(e.right, columnOf)],
      }
    const op = COMPARISONS[e.op]
    if (op !== undefined) {
      const right = constantText(e.right)
      if (right !== undefined) return { op, column: columnOf(e.left), value: right }
      const left = constantText(e.left)
      if (left !== undefined) return { op: FLIPPED[op], column: columnOf(e.right), value: left }
    }
  }
  throw new Refusal('this HAVING condition (only AND, OR, NOT, IS NULL and comparisons with a constant)')
}
