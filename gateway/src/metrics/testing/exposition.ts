/**
 * Tests' reading of a `/metrics` text: parsed with parse-prometheus-text-format (the npm port of
 * Prometheus's own parser), after a line-by-line check of what that parser lets through (a sample
 * whose value is not a number, a sample without a `# TYPE`, a type Prometheus does not know).
 * The parser drops the labels of histogram samples, so histograms are checked here and read back
 * through their `_count` lines, not through it.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
 * @module
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

/** One parsed sample (counters, gauges; histograms only as buckets). */
export interface ExpositionSample {
  readonly labels?: Record<string, string>
  readonly value?: string
}

/** One metric family as the parser gives it. */
export interface ExpositionFamily {
  readonly name: string
  readonly type: string
  readonly help: string
  readonly metrics: ExpositionSample[]
}

const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ExpositionFamily[]

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? (\\S+)( -?\\d+)?$`)
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SUFFIXES = ['_bucket', '_sum', '_count']

/** The family a sample line belongs to (a histogram's `_bucket`, `_sum`, `_count` go to their base). */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name
  const suffix = SUFFIXES.find((s) => name.endsWith(s))
  return suffix === undefined
    ? undefined
    : types.has(name.slice(0, -suffix.length))
      ? name.slice(0, -suffix.length)
      : undefined
}

/** A parsed `/metrics` text, checked strictly first (fails the test on a malformed line). */
export class Exposition {
  readonly families: Map<string, ExpositionFamily>
  private readonly lines: string[]

  constructor(readonly text: string) {
    this.lines = text.split('\n')
    const types = new Map<string, string>()
    for (const line of this.lines) {
      if (line === '') continue
      const typeLine = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (typeLine !== null) {
        assert.ok(TYPES.has(typeLine[2]!), `unknown type: ${line}`)
        assert.ok(!types.has(typeLine[1]!), `TYPE given twice: ${line}`)
        types.set(typeLine[1]!, typeLine[2]!)
        continue
      }
      if (line.startsWith('#')) continue
      const m = SAMPLE.exec(line)
      assert.ok(m !== null, `malformed sample line: ${line}`)
      assert.ok(/^([-+]?Inf|NaN|[-+]?[0-9.]+(e[-+]?\d+)?)$/i.test(m[3]!), `not a number: ${line}`)
      assert.ok(familyOf(m[1]!, types) !== undefined, `sample before its # TYPE: ${line}`)
    }
    this.families = new Map(parseText(text).map((f) => [f.name, f]))
  }

  /** The value of the first sample of `name` whose labels include `labels`; fails when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const family = this.families.get(name)
    assert.ok(family !== undefined, `no metric ${name}`)
    const sample = family.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))
    assert.ok(sample !== undefined, `no ${name} sample with ${JSON.stringify(labels)}`)
    return Number(sample.value)
  }

  /** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    const samples = this.families.get(name)?.metrics ?? []
    return samples
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))
      .reduce((n, s) => n + Number(s.value), 0)
  }

  /** A histogram's `_count` for exactly these labels, read from the text (see the module's comment). */
  histogramCount(name: string, labels: Record<string, string>): number {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
    const line = this.lines.find((l) => l.startsWith(`${name}_count{`) && wanted.every((w) => l.includes(w)))
    assert.ok(line !== undefined, `no ${name}_count with ${JSON.stringify(labels)}`)
    return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
}
