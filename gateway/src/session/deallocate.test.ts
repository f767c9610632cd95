import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseDeallocate } from './deallocate.js'

describe('parseDeallocate', () => {
  it('recognizes the forms of DEALLOCATE', () => {
    assert.deepEqual(parseDeallocate('DEALLOCATE ALL'), { all: true })
    assert.deepEqual(parseDeallocate('  deallocate prepare all ;'), { all: true })
    assert.deepEqual(parseDeallocate('DEALLOCATE MyStmt'), { name: 'mystmt' })
    assert.deepEqual(parseDeallocate('deallocate "MyStmt"'), { name: 'MyStmt' })
    assert.deepEqual(parseDeallocate('deallocate "all"'), { name: 'all' })
    assert.deepEqual(parseDeallocate('deallocate "a""b"'), { name: 'a"b' })
  })

  it('leaves anything else to the server', () => {
    assert.equal(parseDeallocate('select 1'), undefined)
    assert.equal(parseDeallocate('deallocate a; select 1'), undefined)
    assert.equal(parseDeallocate('deallocate'), undefined)
  })
})
