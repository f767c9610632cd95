import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatScramSecret, makeScramSecret, parseScramSecret } from './scram-secret.js'

// "pencil" with the RFC 7677 salt and 4096 iterations. StoredKey and ServerKey were computed once, outside
// this code, with Python's hashlib.pbkdf2_hmac and hmac modules (RFC 5802 section 3 formulas).
const PENCIL =
  'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU='

describe('SCRAM secrets', () => {
  it('round-trips through parse and format', () => {
    const secret = parseScramSecret(PENCIL)
    assert.ok(secret)
    assert.equal(secret.iterations, 4096)
    assert.equal(secret.salt.toString('base64'), 'W22ZaJ0SNY7soEsUEjb6gQ==')
    assert.equal(secret.storedKey.length, 32)
    assert.equal(secret.serverKey.length, 32)
    assert.equal(formatScramSecret(secret), PENCIL)
  })

  it('builds the same secret from the password', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
    assert.equal(formatScramSecret(makeScramSecret('pencil', { salt })), PENCIL)
  })

  it('uses a fresh 16-byte salt and the default iterations', () => {
    const a = makeScramSecret('pencil')
    const b = makeScramSecret('pencil')
    assert.equal(a.iterations, 4096)
    assert.equal(a.salt.length, 16)
    assert.notDeepEqual(a.salt, b.salt)
    assert.deepEqual(parseScramSecret(formatScramSecret(a)), a)
    assert.equal(makeScramSecret('x', { iterations: 1 }).iterations, 1)
  })

  it('rejects bad parameters', () => {
    assert.throws(() => makeScramSecret('x', { iterations: 0 }), RangeError)
    assert.throws(() => makeScramSecret('x', { iterations: 1.5 }), RangeError)
    assert.throws(() => makeScramSecret('x', { iterations: 2 ** 31 }), RangeError)
    assert.throws(() => makeScramSecret('x', { salt: new Uint8Array(0) }), RangeError)
  })

  it('returns undefined for anything else', () => {
    const [, iterations, keys] = PENCIL.split('$') as [string, string, string]
    const bad = [
      '',
      'pencil',
      'md57bed5d99c1d04fe1054bd534b49373df',
      PENCIL.replace('SCRAM-SHA-256', 'SCRAM-SHA-1'),
      PENCIL.replace('4096', '0'),
      PENCIL.replace('4096', '-1'),
      PENCIL.replace('4096', '99999999999'),
      PENCIL.replace('W22ZaJ0SNY7soEsUEjb6gQ==', '!!!!'),
      PENCIL.replace('W22ZaJ0SNY7soEsUEjb6gQ==', ''),
      `SCRAM-SHA-256$${iterations}$${keys.slice(4)}`,
      `SCRAM-SHA-256$${iterations}$${keys.replace(':', '')}`,
      `${PENCIL}$extra`,
      `${PENCIL} `,
    ]
    for (const text of bad) assert.equal(parseScramSecret(text), undefined, text)
  })
})
