import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MergeSpec as CombinerSpec } from '../protocol/merge-spec.js'
import type { MergeSpec as PlannerSpec } from './merge-spec.js'

/** Compiles only when A and B are assignable to each other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

describe('MergeSpec', () => {
  it('is the same type in sql/ (the planner) and protocol/ (the combiner)', () => {
    const same: Same<PlannerSpec, CombinerSpec> = true
    assert.equal(same, true)
  })
})
