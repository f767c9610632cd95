import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RelationFacts } from '../pool/relation-catalog-sql.js'
import { sqlCacheFacts } from '../sql/index.js'
import { resolvedFacts } from './cache-headers.js'

const view = (over: Partial<RelationFacts> = {}): RelationFacts => ({
  resolved: 'public.v',
  kind: 'v',
  bases: ['public.t'],
  unsafe: false,
  definitions: [' SELECT t.id FROM t;'],
  ...over,
})

describe('cache headers: what the catalog adds', () => {
  it('tags a read with the names as written, what they resolve to, and the tables under views', () => {
    const facts = sqlCacheFacts('select * from v, u')
    const answer = {
      relations: new Map([
        ['v', view()],
        ['u', { ...view({ resolved: 'app.u', kind: 'r', bases: [], definitions: [] }) }],
      ]),
      functions: new Map<string, boolean>(),
    }
    assert.deepEqual(resolvedFacts(facts, answer), {
      cacheable: true,
      tables: ['public.v', 'public.u', 'public.t', 'app.u'],
    })
  })

  it('an unsafe function, a view calling one, or a view calling now() makes it uncacheable', () => {
    const facts = sqlCacheFacts('select f(1) from v')
    const none = new Map<string, boolean>()
    const rel = (facts: RelationFacts) => new Map([['v', facts]])
    assert.equal(
      resolvedFacts(facts, { relations: rel(view()), functions: new Map([['f', true]]) }).cacheable,
      false,
    )
    assert.equal(
      resolvedFacts(facts, { relations: rel(view()), functions: new Map([['f', false]]) }).cacheable,
      true,
    )
    assert.equal(
      resolvedFacts(facts, { relations: rel(view({ unsafe: true })), functions: none }).cacheable,
      false,
    )
    const timed = view({ definitions: [' SELECT t.id, now() AS at FROM t;'] })
    assert.equal(resolvedFacts(facts, { relations: rel(timed), functions: none }).cacheable, false)
  })

  it('a name Postgres does not know adds nothing', () => {
    const facts = sqlCacheFacts('select * from gone')
    const answer = { relations: new Map([['gone', undefined]]), functions: new Map<string, boolean>() }
    assert.deepEqual(resolvedFacts(facts, answer), { cacheable: true, tables: ['public.gone'] })
  })
})
