import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { saslprep, scramPasswordBytes } from './saslprep.js'
import { formatScramSecret, makeScramSecret, parseScramSecret } from './scram-secret.js'

// Secrets generated once by PostgreSQL 15's libpq, PQencryptPasswordConn(conn, password, "u",
// "scram-sha-256") on a never-connected PGconn (no server involved), for the UTF-8 password bytes given in
// hex. Rebuilding each with its salt must give the same keys, which pins down every SASLprep decision.
// biome-ignore format: one fixture per line reads better
const LIBPQ_SECRETS: [label: string, hex: string, secret: string][] = [
  ['ascii', '70656e63696c', 'SCRAM-SHA-256$4096:PkibbbcAvAZ5Rr4es1H9dw==$jUoBXfoTsLzwcjUKI98Zmuo9dyGKEEPWLl+qe3kUgLg=:snQWsaLkOVlW5M1WSR8UW0Sabwgv1j6TEuFbRc+AWls='],
  ['NFC latin', '70c3a4737377c3b67264', 'SCRAM-SHA-256$4096:6lu3GB5M87S9WBtPhRAmFQ==$3b3PdRcy4DX3xlDfIgycT1URT0sWpMdGVj1IH6TP/s4=:G8g8zxUzBieoCIoS5ivE01XoJ5lgdnidhtim+yN7Qtc='],
  ['decomposed latin', '7061cc887373776fcc887264', 'SCRAM-SHA-256$4096:jbRaPaRlw8b0UVbtaQIS/Q==$DCS/Wn7aheisQ7zFv0yviDRv2CFHI0omRjlppyOV7oI=:ZxKbZ7cAh4at1nlg7R4Jn7+0AJSpGogm8QIbC2PhJUo='],
  ['fullwidth', 'efbd90efbd81efbd93efbd93', 'SCRAM-SHA-256$4096://sXysuf2dOuJNg8DAxAew==$rUKTZIu3zHYF326WZK3Tt7ugHU2exCa4g9v/i9oBxm8=:lMdl3kaYj3vvv5FKfezhO1ex6OPK0V17YCuofp9Cmas='],
  ['soft hyphen, nbsp', 'c2ad70617373c2a0776f7264', 'SCRAM-SHA-256$4096:IIZsI8FV7pTqtOniC2IIeA==$5RWRQnAU0sCK6yMF2yQeiAE67dY5CYM4fZZkIwNMX6U=:y950BydCENnewIi+Uy/wxQmmBZmeDXBY4ssIZgsRVVc='],
  ['empty after mapping', 'c2ad', 'SCRAM-SHA-256$4096:uMdp+dQu4QP0uwUjMkPeqA==$e3MxUPb+ieK2dQA66SRaehvdgwwuFkj8BjpDNpuJGlA=:550ec525rOeoeoK+PUfNDYr0BWmCyv7NyyNZOO7dxrg='],
  ['emoji (unassigned in 3.2)', '61cc88f09f9982', 'SCRAM-SHA-256$4096:1rwFwpOMFwmp4KpD9Q/Uvg==$GG58Dik0IEcrwuztwBS42MePOy22suua1AkjZugdRhg=:0r9cL4fyoDLxej4TeqvZrqWzr31NR4VxjU29DN2h5Ro='],
  ['hebrew', 'd7a9d79cd795d79d', 'SCRAM-SHA-256$4096:8g1siIZb53Att46cUZkUZQ==$/K/4BWi7ihJDNECGQKMl8hf51kkF6AMEUeU8POTeiqA=:RGtT0T41TognM2OiDRPqV2em74x+XRSso15sEbpBrhI='],
  ['hebrew with L ligature', 'd7a9efac81d7a9', 'SCRAM-SHA-256$4096:gi6uJIR6N46XcRnDqKQ2CA==$kB1qnZ4CsQkbDStrbDUlv7AWUk2OF7O4lteo2u9+Ry0=:RJRBr4CQ2XTJzqN6OpVNQgW1v7mDQ/wp/3cLaH+FeUw='],
  ['hebrew after digit', 'efbc91d7a9d79cd795d79d', 'SCRAM-SHA-256$4096:EeJH3WCaxdz7K6lDDNRU/Q==$lRNrHgu62c18EpTXCzuV7zJXnp5Tw7v222QRrWzGc7g=:IRraVwfMJzpviki9Kn1fcwFoy+qr4T/OAGCGXn683oE='],
  ['control char', '616207efbd83', 'SCRAM-SHA-256$4096:8p9t1/OfL1xVxZzOd97/yA==$l3To3fnmJ42b8pgIvobqGxeLd4qwJhQLVnCtfaoDYfc=:XjkYAej79yHXlushJts5x3gLJwfktjK/ISG4UY7BdGg='],
  ['invalid UTF-8', 'fffe70617373', 'SCRAM-SHA-256$4096:YIsg4Tp44AWZRKOol0zT1g==$+vkvFkfOj8MTJQM5Mxv9Ivs6L0InkB43CZ4j5A0a8lg=:yO8q2aKm8BbYt7fOzIatLyIy3yQbUKe4dcxEkxcy0aI='],
  ['ligature', 'efac81', 'SCRAM-SHA-256$4096:XlSH83puBT93Ktg6L5cJvQ==$2FGgYp7/UFnvB6hZ/PcxNf58jWF81xq1Lz0mtGbQx00=:E+gcpvJOF9LRWiSC92hetuP52DW/t6aHBe3GvyfSX0o='],
  ['private use', 'ee8080efbd98', 'SCRAM-SHA-256$4096:yrq+mHn0Oks0aUvXjKVPsQ==$NIkZv5vu1eEdG+KpDEmfitYrf6OQNfgHPYApcx82Dq8=:CR/CRfzz9SBljvs5bHQtLQwyDRTikUDaswE6VADFWXE='],
  ['U+0221 (unassigned in 3.2)', 'efbd98c8a1', 'SCRAM-SHA-256$4096:Ezk4Ha/deSiXM16x83vF0w==$XItyx/5lgnPa3Ke1d+mMX2AqhCFXfYlWDlGRlcQrM/4=:O3CqTp7NaHh5t0SfsTplefITJIlCogCumZIfF06tjVE='],
]

describe('saslprep', () => {
  it('leaves ASCII alone, control characters included, as Postgres does', () => {
    assert.equal(saslprep('pencil'), 'pencil')
    assert.equal(saslprep('a\u0007 b'), 'a\u0007 b')
    assert.equal(saslprep(''), '')
  })

  it('maps spaces, deletes B.1 characters and applies NFKC', () => {
    assert.equal(saslprep('\u00adpass\u00a0word'), 'pass word')
    assert.equal(saslprep('\ufb01x'), 'fix')
    assert.equal(saslprep('pa\u0308ss'), 'p\u00e4ss')
    assert.equal(saslprep('\u05e9\u05dc\u05d5\u05dd'), '\u05e9\u05dc\u05d5\u05dd')
  })

  it('reports passwords not valid for SASLprep as undefined', () => {
    assert.equal(saslprep('\u00ad'), undefined, 'empty after mapping')
    assert.equal(saslprep('ab\u0007\uff43'), undefined, 'control character in non-ASCII input')
    assert.equal(saslprep('\ue000x'), undefined, 'private use')
    assert.equal(saslprep('x\u0221'), undefined, 'unassigned in Unicode 3.2')
    assert.equal(saslprep('\u05e9\ufb01\u05e9'), undefined, 'R/AL with L')
    assert.equal(saslprep('\uff11\u05e9'), undefined, 'R/AL not at both ends')
    assert.equal(saslprep('\ud800\u00e9'), undefined, 'lone surrogate')
  })

  it('falls back to the raw bytes when preparation fails', () => {
    assert.deepEqual(scramPasswordBytes('\uff43\u0007'), Buffer.from('\uff43\u0007'))
    assert.deepEqual(scramPasswordBytes(Uint8Array.of(0xff, 0x41)), Buffer.from([0xff, 0x41]))
    assert.deepEqual(scramPasswordBytes(Buffer.from('\ufb01')), Buffer.from('fi'))
  })

  for (const [label, hex, secret] of LIBPQ_SECRETS) {
    it(`matches libpq's secret for ${label}`, () => {
      const expected = parseScramSecret(secret)
      assert.ok(expected)
      const bytes = Buffer.from(hex, 'hex')
      const options = { salt: expected.salt, iterations: expected.iterations }
      assert.equal(formatScramSecret(makeScramSecret(bytes, options)), secret)
      const text = bytes.toString('utf8')
      // Strings work too whenever the bytes are valid UTF-8.
      if (Buffer.from(text).equals(bytes))
        assert.equal(formatScramSecret(makeScramSecret(text, options)), secret)
    })
  }
})
