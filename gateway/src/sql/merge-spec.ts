/**
 * The plan the cross-shard combiner (protocol/cross-shard-result.ts) carries out on the merged rows of
 * every shard, as cross-shard-plan.ts makes it: by column index of the shard result.
 *
 * sql/ and protocol/ may not import each other, so protocol/merge-spec.ts declares the same types for
 * the combiner; `merge-spec.test.ts` checks that each side's types are assignable to the other's.
 * @module
 */

/**
 * A column of the shard result: its index from the start, or, when negative, from the end (-1 is the
 * last column), for a column added after a `*` whose width only the RowDescription tells.
 */
export type ColumnIndex = number

/** How one aggregate column of the shard result is combined across shards (and groups). */
export type MergeAggregate =
  /** count: sum of the counts (int8). sum: sum of the sums, in the column's type, exactly for int8 and numeric. */
  | { readonly column: ColumnIndex; readonly fn: 'count' | 'sum' | 'bool_and' | 'bool_or' }
  /** min/max; `collateC` says the argument is `COLLATE "C"`, without which text types are refused. */
  | { readonly column: ColumnIndex; readonly fn: 'min' | 'max'; readonly collateC: boolean }
  /**
   * avg: the column's own value (each shard's avg, kept for the column's type) is replaced by
   * `sum / count` of two other (hidden) aggregate columns, combined as `sum` and `count`.
   */
  | {
      readonly column: ColumnIndex
      readonly fn: 'avg'
      readonly sum: ColumnIndex
      readonly count: ColumnIndex
    }

/** GROUP BY (or an aggregate without GROUP BY: `keys` is empty, and every shard's row is one group). */
export interface MergeGroup {
  /** Columns whose values (NULL included, compared as Postgres's `=` does) identify a group. */
  readonly keys: readonly ColumnIndex[]
  /** Aggregate columns; any other column is carried (the first shard's value in the group). */
  readonly aggregates: readonly MergeAggregate[]
}

/** One ORDER BY key. NULLs sort as larger than any value, so Postgres's default is `nullsFirst = descending`. */
export interface MergeSortKey {
  readonly column: ColumnIndex
  readonly descending: boolean
  readonly nullsFirst: boolean
  /** The key is `COLLATE "C"`: required for text types, which then compare bytewise. */
  readonly collateC: boolean
}

/** A comparison operator of HAVING. */
export type MergeComparison = '=' | '<>' | '<' | '<=' | '>' | '>='

/** A HAVING condition, evaluated on the merged groups with SQL's three-valued logic. */
export type MergePredicate =
  | { readonly op: 'and' | 'or'; readonly args: readonly MergePredicate[] }
  | { readonly op: 'not'; readonly arg: MergePredicate }
  | { readonly op: 'is null' | 'is not null'; readonly column: ColumnIndex }
  /** `column op value`: `value` is a constant's text, read as the column's type (NULL: unknown). */
  | {
      readonly op: MergeComparison
      readonly column: ColumnIndex
      readonly value: string | null
    }

/** Everything the combiner does, in this order: group, having, distinct, sort, offset, limit, hide. */
export interface MergeSpec {
  /** Trailing columns of each shard row the client does not get (sort keys, avg parts, …). */
  readonly hidden: number
  readonly group?: MergeGroup
  readonly having?: MergePredicate
  /** Rows equal in every visible column go out once. */
  readonly distinct: boolean
  readonly sort: readonly MergeSortKey[]
  readonly offset: number
  /** Undefined: no LIMIT. */
  readonly limit?: number
}
