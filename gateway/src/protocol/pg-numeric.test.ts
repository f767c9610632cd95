import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatFloat4, formatFloat8 } from './pg-float.js'
import { addNumeric, compareNumeric, divideNumeric, formatNumeric, parseNumeric } from './pg-numeric.js'

const n = (s: string) => parseNumeric(s)!

describe('pg-numeric', () => {
  it('adds exactly, keeping the wider scale, with NaN and infinities as numeric_add', () => {
    assert.equal(formatNumeric(addNumeric(n('0.1'), n('0.20'))), '0.30')
    assert.equal(formatNumeric(addNumeric(n('-12345678901234567890.5'), n('1'))), '-12345678901234567889.5')
    assert.equal(addNumeric(n('Infinity'), n('-Infinity')), 'NaN')
    assert.equal(addNumeric(n('Infinity'), n('3')), 'Infinity')
  })

  it('divides as avg does: the scale of select_div_scale, rounded half away from zero', () => {
    // Each expected text was printed by Postgres 15 for avg over these values.
    const cases: Array<[sum: string, count: bigint, want: string]> = [
      ['5', 3n, '1.6666666666666667'], // (1),(2),(2)
      ['123456789013', 2n, '61728394506.50000000'],
      ['0.0035', 2n, '0.00175000000000000000'],
      ['-7', 3n, '-2.3333333333333333'],
      ['0', 1n, '0.00000000000000000000'],
      ['99999.75', 2n, '49999.875000000000'],
    ]
    for (const [sum, count, want] of cases)
      assert.equal(formatNumeric(divideNumeric(n(sum), count)), want, sum)
  })

  it('orders -Infinity < finite < Infinity < NaN', () => {
    const sorted = ['NaN', '2.50', '-Infinity', '10', 'Infinity', '2.5001'].map(n).sort(compareNumeric)
    assert.deepEqual(sorted.map(formatNumeric), ['-Infinity', '2.50', '2.5001', '10', 'Infinity', 'NaN'])
  })
})

describe('pg-float', () => {
  it('prints float8 and float4 as Postgres 15 does (extra_float_digits = 1)', () => {
    assert.equal(formatFloat8(1.5 / 7), '0.21428571428571427')
    assert.equal(formatFloat8(1e15), '1e+15')
    assert.equal(formatFloat8(1e14), '100000000000000')
    assert.equal(formatFloat8(1.5e-7), '1.5e-07')
    assert.equal(formatFloat8(0.0001), '0.0001')
    assert.equal(formatFloat8(-0), '-0')
    assert.equal(formatFloat4(Math.fround(123456.7)), '123456.7')
    assert.equal(formatFloat4(Math.fround(1234567)), '1.234567e+06')
    assert.equal(formatFloat4(Math.fround(3.4e38)), '3.4e+38')
    assert.equal(formatFloat4(Math.fround(1e-7)), '1e-07')
    assert.equal(formatFloat4(Math.fround(Math.fround(0.1) + Math.fround(0.2))), '0.3')
  })
})
