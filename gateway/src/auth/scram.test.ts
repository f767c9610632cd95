import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ScramClientSession } from './scram-client.js'
import { deriveScramKeys } from './scram-common.js'
import { makeScramSecret } from './scram-secret.js'
import { ScramProtocolError, ScramServerSession } from './scram-server.js'

// RFC 7677 section 3 test vector (user "user", password "pencil").
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO'
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
const CLIENT_FIRST = `n,,n=user,r=${CLIENT_NONCE}`
const SERVER_FIRST = `r=${CLIENT_NONCE}${SERVER_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`
const CLIENT_FINAL = `c=biws,r=${CLIENT_NONCE}${SERVER_NONCE},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

const secret = makeScramSecret('pencil', { salt: SALT })
const server = () => new ScramServerSession(secret, SERVER_NONCE)
const isProtocolError = (pattern: RegExp) => (error: unknown) =>
  error instanceof ScramProtocolError && pattern.test(`${error.message}: ${error.detail ?? ''}`)

describe('SCRAM-SHA-256 RFC 7677 vector', () => {
  it('client side produces the exact messages', () => {
    const client = new ScramClientSession('pencil', CLIENT_NONCE, 'user')
    assert.equal(client.clientFirstMessage(), CLIENT_FIRST)
    assert.equal(client.handleServerFirst(SERVER_FIRST), CLIENT_FINAL)
    client.verifyServerFinal(SERVER_FINAL)
    assert.equal(client.state, 'succeeded')
  })

  it('server side produces the exact messages', () => {
    const session = server()
    assert.deepEqual(session.handleClientFirst(Buffer.from(CLIENT_FIRST)), { serverFirst: SERVER_FIRST })
    assert.deepEqual(session.handleClientFinal(Buffer.from(CLIENT_FINAL)), {
      ok: true,
      serverFinal: SERVER_FINAL,
      clientKey: deriveScramKeys(Buffer.from('pencil'), SALT, 4096).clientKey,
    })
    assert.equal(session.state, 'succeeded')
  })

  it('the ClientKey a proof reveals logs in without the password (auth_query), for that salt only', () => {
    const session = server()
    session.handleClientFirst(CLIENT_FIRST)
    const result = session.handleClientFinal(CLIENT_FINAL)
    assert.ok(result.ok)
    const keys = { clientKey: result.clientKey, serverKey: secret.serverKey, salt: SALT, iterations: 4096 }
    const client = new ScramClientSession(keys, CLIENT_NONCE, 'user')
    assert.equal(client.clientFirstMessage(), CLIENT_FIRST)
    assert.equal(client.handleServerFirst(SERVER_FIRST), CLIENT_FINAL)
    client.verifyServerFinal(SERVER_FINAL)
    assert.equal(client.state, 'succeeded')
    const other = new ScramClientSession({ ...keys, iterations: 4097 }, CLIENT_NONCE)
    other.clientFirstMessage()
    assert.throws(() => other.handleServerFirst(SERVER_FIRST), /salt or iteration count/)
  })
})

/** Runs a full exchange between fresh sessions, with an optional hook to tamper with client-final. */
function exchange(password: string, tamper = (final: string) => final) {
  const client = new ScramClientSession(password)
  const session = new ScramServerSession(makeScramSecret('s3cret \u00e9', { iterations: 64 }))
  const { serverFirst } = session.handleClientFirst(client.clientFirstMessage())
  const result = session.handleClientFinal(tamper(client.handleServerFirst(serverFirst)))
  return { client, session, result }
}

describe('SCRAM-SHA-256 exchange', () => {
  it('round-trips between client and server', () => {
    const { client, session, result } = exchange('s3cret e\u0301')
    assert.ok(result.ok)
    client.verifyServerFinal(result.serverFinal)
    assert.equal(client.state, 'succeeded')
    assert.equal(session.state, 'succeeded')
  })

  it('rejects a wrong password', () => {
    const { session, result } = exchange('s3cret')
    assert.deepEqual(result, { ok: false, reason: 'invalid proof' })
    assert.equal(session.state, 'failed')
  })

  it('refuses a tampered nonce or channel binding as a protocol violation, as Postgres does', () => {
    assert.throws(
      () => exchange('x', (f) => f.replace(',r=', ',r=X')),
      isProtocolError(/Nonce does not match/),
    )
    // The client said "n,,": "eSws" (base64 of "y,,") contradicts it even though the proof would cover it.
    for (const cbind of ['c=eSws', 'c=cD10bHMtdW5pcXVlLCw=']) {
      assert.throws(
        () => exchange('x', (f) => f.replace('c=biws', cbind)),
        isProtocolError(/unexpected SCRAM channel-binding attribute/),
      )
    }
  })

  it('client rejects a forged server signature or a server error', () => {
    const { client } = exchange('s3cret \u00e9')
    assert.throws(() => client.verifyServerFinal(SERVER_FINAL), isProtocolError(/invalid server signature/))
    assert.equal(client.state, 'failed')
    const again = exchange('s3cret \u00e9').client
    assert.throws(() => again.verifyServerFinal('e=invalid-proof'), isProtocolError(/invalid-proof/))
  })

  it('client rejects a server nonce that does not extend its own', () => {
    for (const nonce of ['someoneelse', CLIENT_NONCE]) {
      const client = new ScramClientSession('pencil', CLIENT_NONCE)
      client.clientFirstMessage()
      const text = `r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`
      assert.throws(() => client.handleServerFirst(text), isProtocolError(/nonce/))
    }
  })
})

describe('SCRAM-SHA-256 malformed messages', () => {
  it('server throws ScramProtocolError on bad client-first', () => {
    const cases: [string, RegExp][] = [
      ['', /The message is empty/],
      ['n,,n=user,r=abc\0', /length does not match/],
      ['n=user,r=abc', /Comma expected, but found character "'='"/],
      ['p=tls-server-end-point,,n=user,r=abc', /without channel binding/],
      ['x,,n=user,r=abc', /Unexpected channel-binding flag "'x'"/],
      ['n,a=admin,n=user,r=abc', /authorization identity/],
      ['n,,m=ext,n=user,r=abc', /extension/],
      ['n,,r=abc', /Expected attribute "n" but found "'r'"/],
      ['n,,n=user', /Expected attribute "r" but found "0x00"/],
      ['n,,n=user,r=a,b', /Expected character "=" for attribute "b"/],
      ['n,,n=user,r=a b', /non-printable characters in SCRAM nonce/],
    ]
    for (const [message, pattern] of cases) {
      assert.throws(() => server().handleClientFirst(message), isProtocolError(pattern), message)
    }
  })

  it('server accepts y,, and ignores the user name and extensions', () => {
    const session = server()
    const { serverFirst } = session.handleClientFirst('y,,n=,r=abc,x=ext')
    assert.equal(serverFirst, `r=abc${SERVER_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)
  })

  it('server throws ScramProtocolError on bad client-final and out-of-order messages', () => {
    const nonce = `r=${CLIENT_NONCE}${SERVER_NONCE}`
    const cases: [string, RegExp][] = [
      ['c=biws', /Expected attribute "r" but found "0x00"/],
      [`c=biws,${nonce}`, /Attribute expected, but found end of string/],
      [`${nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`, /Expected attribute "c"/],
      [`c=biws,${nonce},p=AAAA`, /Malformed proof/],
      [`c=biws,${nonce},p=not base64!`, /Malformed proof/],
    ]
    for (const [message, pattern] of cases) {
      const session = server()
      session.handleClientFirst(CLIENT_FIRST)
      assert.throws(() => session.handleClientFinal(message), isProtocolError(pattern), message)
      assert.equal(session.state, 'failed')
    }
    assert.throws(
      () => server().handleClientFinal(CLIENT_FINAL),
      isProtocolError(/invalid SCRAM exchange state/),
    )
    const done = server()
    done.handleClientFirst(CLIENT_FIRST)
    assert.throws(() => done.handleClientFirst(CLIENT_FIRST), isProtocolError(/invalid SCRAM exchange state/))
  })

  it('client throws ScramProtocolError on bad server messages', () => {
    const cases: [string, RegExp][] = [
      ['garbage', /expected attribute/],
      [`r=${CLIENT_NONCE}x,s=!!,i=4096`, /salt/],
      [`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0`, /iteration/],
      [`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=ten`, /iteration/],
      [`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=1`, /garbage/],
      ['m=ext,r=x', /extension/],
    ]
    for (const [message, pattern] of cases) {
      const client = new ScramClientSession('pencil', CLIENT_NONCE)
      client.clientFirstMessage()
      assert.throws(() => client.handleServerFirst(message), isProtocolError(pattern), message)
      assert.equal(client.state, 'failed')
    }
    assert.throws(
      () => new ScramClientSession('pencil').handleServerFirst(SERVER_FIRST),
      isProtocolError(/unexpected/),
    )
  })

  it('client escapes its user name and validates nonces', () => {
    assert.equal(new ScramClientSession('p', 'abc', 'a=b,c').clientFirstMessage(), 'n,,n=a=3Db=2Cc,r=abc')
    assert.match(new ScramClientSession('p').clientFirstMessage(), /^n,,n=\*,r=[A-Za-z0-9+/]{24}$/)
    assert.throws(() => new ScramClientSession('p', 'a,b'), RangeError)
    assert.throws(() => new ScramServerSession(secret, ''), RangeError)
    const session = new ScramServerSession(secret, Uint8Array.of(1, 2, 3))
    assert.match(session.handleClientFirst('n,,n=,r=abc').serverFirst, /^r=abcAQID,/)
  })
})
