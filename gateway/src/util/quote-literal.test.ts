import assert from 'node:assert/strict'
import { test } from 'node:test'
import { quoteLiteral } from './quote-literal.js'

test('quoteLiteral doubles quotes, and writes an E literal with doubled backslashes when there is one', () => {
  assert.equal(quoteLiteral('plain'), "'plain'")
  assert.equal(quoteLiteral("it's"), "'it''s'")
  assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'")
  assert.equal(quoteLiteral("x\\'; drop table t; --"), "E'x\\\\''; drop table t; --'")
})
