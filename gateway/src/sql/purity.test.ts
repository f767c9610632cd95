import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

const dir = new URL('.', import.meta.url)

describe('gateway/src/sql is pure', () => {
  it('imports only its own files and node built-ins other than sockets and timers', () => {
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    assert.ok(sources.length > 10)
    for (const file of sources) {
      const text = readFileSync(new URL(file, dir), 'utf8')
      for (const [, spec] of text.matchAll(/\bfrom\s+'([^']+)'/g)) {
        const own = /^\.\/[a-z0-9-]+\.js$/.test(spec!)
        const builtin = spec!.startsWith('node:') && !/^node:(net|timers)/.test(spec!)
        assert.ok(own || builtin, `${file} imports ${spec}`)
      }
    }
  })
})
