import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isMd5PasswordHash, md5PasswordHash, md5Response, verifyMd5Response } from './md5.js'

// Fixed vectors computed once outside this code: the hashes by PostgreSQL 15's libpq
// (PQencryptPasswordConn(conn, password, user, "md5")), the challenge response with Python's hashlib as
// md5(b"7bed5d99c1d04fe1054bd534b49373df" + bytes([1, 2, 3, 4])).hexdigest().
const USER = 'skiff_md5'
const PASSWORD = 'skiff_md5_pw'
const STORED = 'md57bed5d99c1d04fe1054bd534b49373df'
const SALT = Uint8Array.of(1, 2, 3, 4)
const RESPONSE = 'md59d185fa5461c290b5bc56b3d84ee8c92'

describe('md5', () => {
  it('hashes like pg_authid', () => {
    assert.equal(md5PasswordHash(USER, PASSWORD), STORED)
    // Non-ASCII user and password are hashed as UTF-8 (also from libpq 15).
    assert.equal(md5PasswordHash('José', 'pässwörd'), 'md5928eee3c4baf63de5f46f8fd41cc851c')
  })

  it('answers the challenge from the password or from the stored hash', () => {
    assert.equal(md5Response(USER, PASSWORD, SALT), RESPONSE)
    assert.equal(md5Response(USER, STORED, SALT), RESPONSE)
  })

  it('verifies responses', () => {
    assert.equal(verifyMd5Response(USER, STORED, SALT, RESPONSE), true)
    assert.equal(verifyMd5Response(USER, PASSWORD, SALT, Buffer.from(RESPONSE)), true)
    assert.equal(verifyMd5Response(USER, STORED, SALT, md5Response(USER, 'wrong', SALT)), false)
    assert.equal(verifyMd5Response(USER, STORED, Uint8Array.of(1, 2, 3, 5), RESPONSE), false)
    assert.equal(verifyMd5Response('other', PASSWORD, SALT, RESPONSE), false)
    assert.equal(verifyMd5Response(USER, STORED, SALT, 'md5'), false)
    assert.equal(verifyMd5Response(USER, STORED, SALT, ''), false)
  })

  it('recognizes stored hashes and rejects bad salts', () => {
    assert.equal(isMd5PasswordHash(STORED), true)
    assert.equal(isMd5PasswordHash(STORED.toUpperCase()), false)
    assert.equal(isMd5PasswordHash(`${STORED}0`), false)
    assert.throws(() => md5Response(USER, PASSWORD, Uint8Array.of(1, 2, 3)), RangeError)
  })
})
