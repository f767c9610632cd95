import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serializeCommandComplete } from './backend.js'
import { mergeCommandTags, readCommandTag } from './command-tag.js'

describe('mergeCommandTags', () => {
  it('sums the row counts of every command whose tag carries one', () => {
    assert.equal(mergeCommandTags(['SELECT 2', 'SELECT 3']), 'SELECT 5')
    assert.equal(mergeCommandTags(['INSERT 0 1', 'INSERT 0 4', 'INSERT 0 0']), 'INSERT 0 5')
    for (const word of ['UPDATE', 'DELETE', 'MERGE', 'COPY', 'FETCH', 'MOVE'])
      assert.equal(mergeCommandTags([`${word} 7`, `${word} 8`]), `${word} 15`)
  })

  it('keeps 64-bit counts exact', () => {
    assert.equal(mergeCommandTags(['SELECT 9007199254740993', 'SELECT 1']), 'SELECT 9007199254740994')
  })

  it('passes other tags through when every server sent the same one', () => {
    assert.equal(mergeCommandTags(['CREATE TABLE', 'CREATE TABLE']), 'CREATE TABLE')
    assert.equal(mergeCommandTags(['BEGIN', 'BEGIN', 'BEGIN']), 'BEGIN')
    // A count-like tail on a command without counts is part of the tag, not summed.
    assert.equal(mergeCommandTags(['LISTEN 1', 'LISTEN 1']), 'LISTEN 1')
  })

  it('refuses tags of different commands, or a count on one server only', () => {
    assert.equal(mergeCommandTags(['SELECT 1', 'INSERT 0 1']), undefined)
    assert.equal(mergeCommandTags(['INSERT 0 1', 'INSERT 5 1']), undefined)
    assert.equal(mergeCommandTags(['BEGIN', 'COMMIT']), undefined)
    assert.equal(mergeCommandTags(['SELECT 1', 'SELECT']), undefined)
  })

  it('one tag is returned as it is', () => {
    assert.equal(mergeCommandTags(['DELETE 3']), 'DELETE 3')
    assert.equal(mergeCommandTags([]), undefined)
  })
})

describe('readCommandTag', () => {
  it('reads the tag of a CommandComplete inside a larger buffer', () => {
    const msg = serializeCommandComplete('UPDATE 12')
    const buf = Buffer.concat([Buffer.from('xx'), msg, Buffer.from('yy')])
    assert.equal(readCommandTag(buf, 2, 2 + msg.length), 'UPDATE 12')
  })
})
