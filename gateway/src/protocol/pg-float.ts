/**
 * `float8` and `float4` values printed as Postgres prints them with the default extra_float_digits
 * (1): the shortest digits that read back as the same value (Ryu), in fixed notation when the
 * decimal exponent is in [-4, 15) for float8 and [-4, 6) for float4, else as `1.5e-05` / `1e+15`.
 * JavaScript's `toExponential()` gives the same shortest digits for a double; for a float4 the
 * shortest precision that reads back through `Math.fround` is searched.
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/common/d2s.c (to_chars)
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/common/f2s.c (to_chars)
 * @module
 */

/** Reads a float's text (`NaN`, `Infinity` and `-Infinity` included). */
export function parseFloatText(text: string): number {
  const t = text.trim().toLowerCase()
  if (t === 'infinity' || t === 'inf' || t === '+infinity') return Number.POSITIVE_INFINITY
  if (t === '-infinity' || t === '-inf') return Number.NEGATIVE_INFINITY
  if (t === 'nan') return Number.NaN
  return Number(t)
}

/** float8out. */
export function formatFloat8(x: number): string {
  return special(x) ?? layout(x.toExponential(), 15)
}

/** float4out; `x` must be a float4 value (`Math.fround(x) === x`). */
export function formatFloat4(x: number): string {
  const s = special(x)
  if (s !== undefined) return s
  for (let digits = 1; digits < 9; digits++) {
    const e = x.toExponential(digits - 1)
    if (Math.fround(Number(e)) === x) return layout(e, 6)
  }
  return layout(x.toExponential(8), 6)
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Number.POSITIVE_INFINITY) return 'Infinity'
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  return undefined
}

/** `d.ddde±x` laid out as Postgres does; fixed notation when -4 <= x < `fixedBelow`. */
function layout(exponential: string, fixedBelow: number): string {
  const [mantissa, exp] = exponential.split('e') as [string, string]
  const sign = mantissa.startsWith('-') ? '-' : ''
  const digits = mantissa.replace('-', '').replace('.', '')
  const e = Number(exp)
  if (e < -4 || e >= fixedBelow) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : ''
    const magnitude = String(Math.abs(e)).padStart(2, '0')
    return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${magnitude}`
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`
  const whole = digits.padEnd(e + 1, '0')
  const fraction = digits.slice(e + 1)
  return sign + whole.slice(0, e + 1) + (fraction ? `.${fraction}` : '')
}
