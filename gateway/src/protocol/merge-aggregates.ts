/**
 * The combining step of each aggregate the cross-shard planner lets through: every shard computed the
 * aggregate over its own rows (a partial result, in the aggregate's own result type), and the partial
 * results of one group are combined here as Postgres's combine functions would (int8pl for count,
 * numeric_add for the sum of int8 and numeric, float8pl / float4pl, min and max by the type's order,
 * AND / OR), with NULL for an aggregate whose every input was NULL (count never is).
 * @see https://www.postgresql.org/docs/current/xaggr.html#XAGGR-PARTIAL-AGGREGATES
 * @see https://www.postgresql.org/docs/current/functions-aggregate.html
 * @module
 */
import type { MergeAggregate } from './merge-spec.js'
import { formatFloat4, formatFloat8, parseFloatText } from './pg-float.js'
import { addNumeric, divideNumeric, formatNumeric, type PgNumeric, parseNumeric } from './pg-numeric.js'
import { TypeOid as T, valueOrder } from './value-compare.js'

/** The partial results of one aggregate in one group, combined as they come. */
export interface Accumulator {
  add(value: Buffer | null): void
  result(): Buffer | null
}

/** Makes a fresh accumulator per group; `refusal` says why an aggregate cannot be combined. */
export type AccumulatorFactory = () => Accumulator

const text = (s: string) => Buffer.from(s, 'latin1')
const read = (v: Buffer) => v.toString('latin1')

/** A sum in exact or float arithmetic, per the aggregate's result type. */
function summer(oid: number): AccumulatorFactory | string {
  if (oid === T.int8 || oid === T.numeric) return () => new NumericSum()
  if (oid === T.float8) return () => new FloatSum(formatFloat8, (x) => x)
  if (oid === T.float4) return () => new FloatSum(formatFloat4, Math.fround)
  return `sum of type OID ${oid} cannot be combined across shards`
}

class NumericSum implements Accumulator {
  total: PgNumeric | undefined
  add(value: Buffer | null): void {
    if (value === null) return
    const n = parseNumeric(read(value)) ?? 'NaN'
    this.total = this.total === undefined ? n : addNumeric(this.total, n)
  }
  result(): Buffer | null {
    return this.total === undefined ? null : text(formatNumeric(this.total))
  }
}

class FloatSum implements Accumulator {
  total: number | undefined
  constructor(
    private readonly format: (x: number) => string,
    private readonly round: (x: number) => number,
  ) {}
  add(value: Buffer | null): void {
    if (value === null) return
    const x = parseFloatText(read(value))
    this.total = this.total === undefined ? x : this.round(this.total + x)
  }
  result(): Buffer | null {
    return this.total === undefined ? null : text(this.format(this.total))
  }
}

/** min or max: the best value by the type's order, kept as the shard printed it. */
function extreme(oid: number, sign: 1 | -1, collateC: boolean): AccumulatorFactory | string {
  const order = valueOrder(oid, collateC)
  if (typeof order === 'string') return order
  return () => {
    let best: Buffer | null = null
    let key: unknown
    return {
      add(value) {
        if (value === null) return
        const k = order.decode(value)
        if (best === null || sign * order.compare(k, key) < 0) [best, key] = [value, k]
      },
      result: () => best,
    }
  }
}

/** bool_and / bool_or: AND or OR of the non-NULL partial results. */
function logical(oid: number, and: boolean): AccumulatorFactory | string {
  if (oid !== T.bool) return `bool_and/bool_or of type OID ${oid}`
  return () => {
    let acc: boolean | undefined
    return {
      add(value) {
        if (value === null) return
        const v = value[0] === 0x74 // 't'
        acc = acc === undefined ? v : and ? acc && v : acc || v
      },
      result: () => (acc === undefined ? null : text(acc ? 't' : 'f')),
    }
  }
}

/**
 * The accumulator of `agg` for a column of type `oid`, or why it cannot be combined. avg has none:
 * its column is computed from its sum and count columns by {@link averageOf}.
 */
export function accumulatorFor(agg: MergeAggregate, oid: number): AccumulatorFactory | string {
  switch (agg.fn) {
    case 'count':
      return oid === T.int8 ? () => new NumericSum() : `count of type OID ${oid}`
    case 'sum':
      return summer(oid)
    case 'min':
      return extreme(oid, 1, agg.collateC)
    case 'max':
      return extreme(oid, -1, agg.collateC)
    case 'bool_and':
    case 'bool_or':
      return logical(oid, agg.fn === 'bool_and')
    case 'avg':
      return () => ({ add() {}, result: () => null })
  }
}

/** Computes avg from the merged sum and count, in the avg column's type (`avgOid`), or says why not. */
export type Average = (sum: Buffer | null, count: Buffer | null) => Buffer | null

/**
 * avg over int2/int4/int8/numeric is numeric (numeric_div of the exact sum by the count); over float8
 * it is float8 (float8_avg: sum / count in double). avg over float4 sums in float8 on one server but
 * the hidden `sum` a shard returns is float4, so it is refused, as is avg over interval.
 */
export function averageOf(avgOid: number, sumOid: number): Average | string {
  if (avgOid === T.numeric && (sumOid === T.int8 || sumOid === T.numeric))
    return (sum, count) => {
      if (sum === null || count === null || read(count) === '0') return null
      const n = parseNumeric(read(sum)) ?? 'NaN'
      return text(formatNumeric(divideNumeric(n, BigInt(read(count)))))
    }
  if (avgOid === T.float8 && sumOid === T.float8)
    return (sum, count) => {
      if (sum === null || count === null || read(count) === '0') return null
      return text(formatFloat8(parseFloatText(read(sum)) / Number(read(count))))
    }
  return `avg with a result of type OID ${avgOid} (sum of type OID ${sumOid}) cannot be combined across shards`
}
