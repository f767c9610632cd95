import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

const dir = new URL('.', import.meta.url)

/**
 * Packages sql/ may load: pure libraries with no I/O. pgsql-ast-parser is the shape cache's second
 * opinion on a miss (second-opinion.ts), loaded on first use.
 */
const PURE_PACKAGES = new Set(['pgsql-ast-parser'])

describe('gateway/src/sql is pure', () => {
  it('imports only its own files, node built-ins other than sockets and timers, and pure packages', () => {
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    assert.ok(sources.length > 10)
    for (const file of sources) {
      const text = readFileSync(new URL(file, dir), 'utf8')
      const specs = text.matchAll(/\bfrom\s+'([^']+)'|\b(?:require|import)\('([^']+)'\)/g)
      for (const [, from, call] of specs) {
        const spec = (from ?? call)!
        const own = /^\.\/[a-z0-9-]+\.js$/.test(spec)
        const builtin = spec.startsWith('node:') && !/^node:(net|timers)/.test(spec)
        assert.ok(own || builtin || PURE_PACKAGES.has(spec), `${file} imports ${spec}`)
      }
    }
  })
})
