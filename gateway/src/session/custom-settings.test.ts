import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { collectCustomNames, onlyLocalSetConfig } from './custom-settings.js'

describe('custom settings and transaction-only set_config', () => {
  test('custom setting names come from set_config() and SET, lower-cased; names without a dot are not custom', () => {
    const names = new Set<string>()
    collectCustomNames(
      `select set_config('Request.JWT.Claims', $1, true), set_config('search_path', 'x', false)`,
      names,
    )
    collectCustomNames(`SET app.User_Id = 7`, names)
    collectCustomNames(`set local "my.flag" to 'on'`, names)
    assert.deepEqual([...names], ['request.jwt.claims', 'app.user_id', 'my.flag'])
  })

  test('only set_config(..., true) calls: PostgREST-style settings for the transaction', () => {
    assert.equal(
      onlyLocalSetConfig(
        `select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, TRUE)`,
      ),
      true,
    )
    assert.equal(onlyLocalSetConfig(`select set_config('a.b', concat('x', ',', ')'), true)`), true)
    assert.equal(onlyLocalSetConfig(`select set_config('a.b', 'it''s, done)', true)`), true)
  })

  test('anything that may outlive the transaction, or cannot be read for sure, is not local', () => {
    for (const text of [
      `select set_config('a.b', 'v', false)`,
      `select set_config('a.b', 'v', true), set_config('c.d', 'w', false)`,
      `select set_config('a.b', 'v', $3)`,
      `select set_config('a.b', 'v', not false)`,
      `select set_config('a.b', $$v$$, true)`,
      `select set_config('a.b', 'v', /* local */ true)`,
      `select set_config('a.b', 'v', true`,
      `select 'set_config(' || x`,
      `select 1`,
    ])
      assert.equal(onlyLocalSetConfig(text), false, text)
  })
})
