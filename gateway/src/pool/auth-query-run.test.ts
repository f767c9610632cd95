import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bindAuthQuery, quoteLiteral, secretOf } from './auth-query-run.js'

describe('auth_query text', () => {
  it('puts the user name in place of $1, quoted or bare, as a safe literal', () => {
    const pgcat = "SELECT usename, passwd FROM pg_shadow WHERE usename='$1'"
    const pgbouncer = 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1'
    assert.equal(bindAuthQuery(pgcat, 'alice'), "SELECT usename, passwd FROM pg_shadow WHERE usename='alice'")
    assert.equal(
      bindAuthQuery(pgbouncer, 'alice'),
      "SELECT usename, passwd FROM pg_shadow WHERE usename='alice'",
    )
    assert.equal(
      bindAuthQuery(pgbouncer, "o'neil"),
      "SELECT usename, passwd FROM pg_shadow WHERE usename='o''neil'",
    )
    assert.equal(bindAuthQuery('SELECT $1, $10', 'a'), "SELECT 'a', $10")
    assert.equal(quoteLiteral("a\\'; DROP"), "E'a\\\\''; DROP'")
  })

  it('reads the secret from the second column of the first row, or the only one; none is null', () => {
    assert.equal(secretOf([['alice', 'md5abc']]), 'md5abc')
    assert.equal(secretOf([['md5abc']]), 'md5abc')
    assert.equal(secretOf([]), null)
    assert.equal(secretOf([['alice', null]]), null)
    assert.equal(secretOf([['alice', '']]), null)
  })
})
