/**
 * Exact arithmetic on Postgres `numeric` (and int8) values as they appear in a text result, for the
 * cross-shard combiner: a sum of shard sums and the `sum / count` of an avg must be the digits one
 * server would print, so no float is involved. A finite value is a scaled BigInt; its scale is the
 * numeric's display scale (the digits after the point that Postgres prints, trailing zeros included).
 * @see https://www.postgresql.org/docs/current/datatype-numeric.html
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/adt/numeric.c
 * @module
 */

/** A numeric: `value × 10^-scale`, or one of the special values (Infinity since Postgres 14). */
export type PgNumeric = { readonly value: bigint; readonly scale: number } | 'NaN' | 'Infinity' | '-Infinity'

const TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/** Reads a numeric (or integer) in Postgres's text form; undefined when it is not one. */
export function parseNumeric(text: string): PgNumeric | undefined {
  const t = text.trim()
  const special = t.toLowerCase()
  if (special === 'nan') return 'NaN'
  if (special === 'infinity' || special === '+infinity' || special === 'inf') return 'Infinity'
  if (special === '-infinity' || special === '-inf') return '-Infinity'
  const m = TEXT.exec(t)
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return undefined
  const fraction = m[3] ?? ''
  let value = BigInt(`${m[2]}${fraction}` || '0')
  let scale = fraction.length - Number(m[4] ?? 0)
  if (scale < 0) {
    value *= 10n ** BigInt(-scale)
    scale = 0
  }
  return { value: m[1] === '-' ? -value : value, scale }
}

/** The text Postgres prints for `n`: every digit of its scale. */
export function formatNumeric(n: PgNumeric): string {
  if (typeof n === 'string') return n
  const digits = (n.value < 0n ? -n.value : n.value).toString().padStart(n.scale + 1, '0')
  const sign = n.value < 0n ? '-' : ''
  if (n.scale === 0) return sign + digits
  return `${sign}${digits.slice(0, -n.scale)}.${digits.slice(-n.scale)}`
}

function rescale(n: { value: bigint; scale: number }, scale: number): bigint {
  return n.value * 10n ** BigInt(scale - n.scale)
}

/**
 * `a + b` as numeric_add: the scale of the wider operand; NaN wins; opposite infinities give NaN.
 */
export function addNumeric(a: PgNumeric, b: PgNumeric): PgNumeric {
  if (a === 'NaN' || b === 'NaN') return 'NaN'
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a === 'string' && typeof b === 'string' && a !== b) return 'NaN'
    return typeof a === 'string' ? a : (b as PgNumeric)
  }
  const scale = Math.max(a.scale, b.scale)
  return { value: rescale(a, scale) + rescale(b, scale), scale }
}

const RANK = { '-Infinity': -1, Infinity: 1, NaN: 2 } as const

/** Orders numerics as numeric_cmp does: -Infinity < finite values < Infinity < NaN (NaNs equal). */
export function compareNumeric(a: PgNumeric, b: PgNumeric): number {
  const ra = typeof a === 'string' ? RANK[a] : 0
  const rb = typeof b === 'string' ? RANK[b] : 0
  if (ra !== rb || ra !== 0) return ra - rb
  const x = a as { value: bigint; scale: number }
  const y = b as { value: bigint; scale: number }
  const scale = Math.max(x.scale, y.scale)
  const d = rescale(x, scale) - rescale(y, scale)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}

/** `n` with the trailing zeros of its fraction removed: the same value for `=`, as a key. */
export function normalizeNumeric(n: PgNumeric): string {
  if (typeof n === 'string') return n
  let { value, scale } = n
  while (scale > 0 && value % 10n === 0n) {
    value /= 10n
    scale--
  }
  return formatNumeric({ value, scale })
}

/** NUMERIC_MIN_SIG_DIGITS, DEC_DIGITS and NUMERIC_MAX_DISPLAY_SCALE of numeric.c. */
const MIN_SIG_DIGITS = 16
const DEC_DIGITS = 4
const MAX_DISPLAY_SCALE = 1000

/** The weight and first digit of `n` in Postgres's base-10000 digits (0 and 0 for zero). */
function baseWeight(n: { value: bigint; scale: number }): [weight: number, first: bigint] {
  const abs = n.value < 0n ? -n.value : n.value
  if (abs === 0n) return [0, 0n]
  const exponent = abs.toString().length - 1 - n.scale
  const weight = Math.floor(exponent / DEC_DIGITS)
  const shift = -n.scale - DEC_DIGITS * weight
  const first = shift >= 0 ? abs * 10n ** BigInt(shift) : abs / 10n ** BigInt(-shift)
  return [weight, first]
}

/**
 * `sum / count` as numeric_div (the final step of avg over int and numeric), with the result scale
 * of select_div_scale: at least 16 significant digits and no less than the sum's scale, rounded half
 * away from zero. `count` is positive.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/adt/numeric.c (select_div_scale, numeric_avg)
 */
export function divideNumeric(sum: PgNumeric, count: bigint): PgNumeric {
  if (typeof sum === 'string') return sum
  const [weight1, first1] = baseWeight(sum)
  const [weight2, first2] = baseWeight({ value: count, scale: 0 })
  let qweight = weight1 - weight2
  if (first1 <= first2) qweight--
  let scale = MIN_SIG_DIGITS - qweight * DEC_DIGITS
  scale = Math.min(Math.max(scale, sum.scale, 0), MAX_DISPLAY_SCALE)
  const abs = (sum.value < 0n ? -sum.value : sum.value) * 10n ** BigInt(scale - sum.scale)
  let q = abs / count
  if ((abs % count) * 2n >= count) q++
  return { value: sum.value < 0n ? -q : q, scale }
}
