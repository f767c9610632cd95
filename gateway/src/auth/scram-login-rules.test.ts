/**
 * The client-facing login exchange (SCRAM-SHA-256 and the password message) against Postgres 15's rules,
 * through createClientAuthFlow, so that each check is seen with the GatewayError (SQLSTATE, severity,
 * message) a client would get. Each rule names the Postgres function it mirrors; the same sequences are
 * replayed against a real Postgres in test/e2e/scram-hostile.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GatewayError } from '../errors.js'
import { type AuthStep, createClientAuthFlow, type UserCredential } from './client-auth.js'
import { deriveScramKeys, hmac, xorBytes } from './scram-common.js'
import { formatScramSecret, makeScramSecret } from './scram-secret.js'

const PASSWORD = 'pencil'
const USER = 'alice'
const SECRET = formatScramSecret(makeScramSecret(PASSWORD, { iterations: 16 }))
const MECH = 'SCRAM-SHA-256'
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO'
const BARE = `n=,r=${CLIENT_NONCE}`

type Who = 'known' | 'unknown'

/** A fresh SCRAM flow, past its AuthenticationSASL offer; "unknown" runs the mock secret. */
function flow(who: Who = 'known') {
  const cred: UserCredential | undefined = who === 'known' ? { username: USER, password: SECRET } : undefined
  const f = createClientAuthFlow('scram-sha-256', cred, USER)
  f.start()
  return { feed: (message: Buffer): AuthStep => f.handle(message, 0, message.length) }
}

/** A 'p' message with `body`. */
function p(body: Buffer | string): Buffer {
  const bytes = Buffer.from(typeof body === 'string' ? Buffer.from(body, 'latin1') : body)
  const head = Buffer.alloc(5)
  head.write('p')
  head.writeUInt32BE(bytes.length + 4, 1)
  return Buffer.concat([head, bytes])
}

/** SASLInitialResponse; `declared` overrides the data length (-1: no data), `trailing` follows the data. */
function initial(
  data?: string,
  o: { mechanism?: string; declared?: number; trailing?: string } = {},
): Buffer {
  const bytes = Buffer.from(data ?? '', 'latin1')
  const len = Buffer.alloc(4)
  len.writeInt32BE(o.declared ?? (data === undefined ? -1 : bytes.length))
  const trailing = Buffer.from(o.trailing ?? '', 'latin1')
  return p(Buffer.concat([Buffer.from(`${o.mechanism ?? MECH}\0`), len, bytes, trailing]))
}

/** Data of an AuthenticationSASLContinue / SASLFinal step, checking its sub-code. */
function saslData(step: AuthStep, code: number): string {
  assert.ok(step.send, 'a step that sends')
  assert.equal(step.send.readInt32BE(5), code)
  return step.send.subarray(9).toString('latin1')
}

/** A client-final-message with the proof for `password` over exactly the parts given. */
function clientFinal(serverFirst: string, o: { cbind?: string; nonce?: string; bare?: string } = {}): string {
  const attrs = new Map(serverFirst.split(',').map((a) => [a[0], a.slice(2)] as const))
  const without = `c=${o.cbind ?? 'biws'},r=${o.nonce ?? attrs.get('r')}`
  const salt = Buffer.from(attrs.get('s')!, 'base64')
  const keys = deriveScramKeys(Buffer.from(PASSWORD), salt, Number(attrs.get('i')))
  const auth = Buffer.from(`${o.bare ?? BARE},${serverFirst},${without}`, 'latin1')
  return `${without},p=${xorBytes(keys.clientKey, hmac(keys.storedKey, auth)).toString('base64')}`
}

/** Runs client-first (default `n,,` + BARE) and returns the flow and the server-first-message. */
function afterFirst(who: Who = 'known', first = `n,,${BARE}`) {
  const f = flow(who)
  return { f, serverFirst: saslData(f.feed(initial(first)), 11) }
}

/** Asserts that `run` throws a FATAL GatewayError with this SQLSTATE and message (+ detail) text. */
function fails(run: () => unknown, sqlstate: string, text: RegExp): GatewayError {
  let caught: unknown
  assert.throws(run, (e: unknown) => {
    caught = e
    return true
  })
  assert.ok(caught instanceof GatewayError, `a GatewayError, got ${caught}`)
  assert.equal(caught.sqlstate, sqlstate, caught.message)
  assert.equal(caught.severity, 'FATAL')
  assert.match(`${caught.message}: ${caught.detail ?? ''}`, text)
  return caught
}

/** Both a known and an unknown user must get the same answer to a malformed exchange. */
function failsForEveryone(run: (who: Who) => unknown, sqlstate: string, text: RegExp): void {
  const known = fails(() => run('known'), sqlstate, text)
  const unknown = fails(() => run('unknown'), sqlstate, text)
  assert.deepEqual(unknown.toFields(), known.toFields(), 'an unknown user is indistinguishable')
}

describe('SCRAM login: success paths Postgres accepts', () => {
  it('a correct proof logs in and gets the server signature', () => {
    const { f, serverFirst } = afterFirst()
    assert.ok(serverFirst.startsWith(`r=${CLIENT_NONCE}`))
    const step = f.feed(p(clientFinal(serverFirst)))
    assert.equal(step.authenticated, true)
    assert.match(saslData(step, 12), /^v=[A-Za-z0-9+/]{43}=$/)
  })

  it('y,, with c=eSws logs in (the client could bind, the server cannot: true without TLS)', () => {
    const { f, serverFirst } = afterFirst('known', `y,,${BARE}`)
    assert.equal(f.feed(p(clientFinal(serverFirst, { cbind: 'eSws' }))).authenticated, true)
  })

  it('an empty client nonce, extensions and one trailing comma pass (read_client_first_message)', () => {
    for (const bare of ['n=,r=', `n=,r=${CLIENT_NONCE},x=ext,Y=`, `n=,r=${CLIENT_NONCE},`]) {
      const { f, serverFirst } = afterFirst('known', `n,,${bare}`)
      assert.equal(f.feed(p(clientFinal(serverFirst, { bare }))).authenticated, true, bare)
    }
  })

  it('a declared length of -1 gets an empty challenge, then client-first comes in a SASLResponse', () => {
    const f = flow()
    assert.equal(saslData(f.feed(initial(undefined)), 11), '')
    const serverFirst = saslData(f.feed(p(`n,,${BARE}`)), 11)
    assert.equal(f.feed(p(clientFinal(serverFirst))).authenticated, true)
  })

  it('a SASL message of exactly 1024 bytes (length word) is read', () => {
    const pad = 1024 - 4 - (MECH.length + 1) - 4 - 'n,,n=,r='.length
    const message = initial(`n,,n=,r=${'a'.repeat(pad)}`)
    assert.equal(message.length - 1, 1024)
    assert.equal(saslData(flow().feed(message), 11).length > pad, true)
  })
})

describe('SCRAM login: SASLInitialResponse framing (CheckSASLAuth, pq_getmsg*)', () => {
  it('a wrong mechanism is 08P01, checked before the rest, and not echoed', () => {
    const e = fails(
      () => flow().feed(initial(`n,,${BARE}`, { mechanism: 'SCRAM-SHA-1\x01secret', declared: 9999 })),
      '08P01',
      /^client selected an invalid SASL authentication mechanism: $/,
    )
    assert.doesNotMatch(e.message, /secret/)
    fails(
      () => flow().feed(initial('p=x,,n=,r=a', { mechanism: 'SCRAM-SHA-256-PLUS' })),
      '08P01',
      /mechanism/,
    )
  })

  it('a mechanism without its NUL (e.g. a SASLResponse sent first) is 08P01 invalid string', () => {
    failsForEveryone((w) => flow(w).feed(p('c=biws,r=abc,p=AAAA')), '08P01', /^invalid string in message/)
  })

  it('a declared length beyond the message, below -1 or missing is 08P01 insufficient data', () => {
    for (const declared of [100, -2, -(2 ** 31)]) {
      failsForEveryone(
        (w) => flow(w).feed(initial(`n,,${BARE}`, { declared })),
        '08P01',
        /^insufficient data left in message/,
      )
    }
    fails(() => flow().feed(p(`${MECH}\0\0\0`)), '08P01', /^insufficient data left in message/)
  })

  it('bytes after the SASL data are 08P01 invalid message format, not ignored (pq_getmsgend)', () => {
    failsForEveryone(
      (w) => flow(w).feed(initial(`n,,${BARE}`, { trailing: 'zz' })),
      '08P01',
      /^invalid message format/,
    )
    failsForEveryone(
      (w) => flow(w).feed(initial(`n,,${BARE}`, { declared: -1 })),
      '08P01',
      /^invalid message format/,
    )
  })

  it('an empty or NUL-holding payload is 08P01 malformed (scram_exchange)', () => {
    failsForEveryone(
      (w) => flow(w).feed(initial('')),
      '08P01',
      /malformed SCRAM message: The message is empty/,
    )
    failsForEveryone(
      (w) => flow(w).feed(initial(`n,,n=\0,r=${CLIENT_NONCE}`)),
      '08P01',
      /Message length does not match input length/,
    )
  })

  it('a SASL message over 1024 bytes fails the login with 28P01 and echoes nothing (PG_MAX_SASL_MESSAGE_LENGTH)', () => {
    const pad = 1025 - 4 - (MECH.length + 1) - 4 - 'n,,n=,r='.length
    const justOver = initial(`n,,n=,r=${'a'.repeat(pad)}`)
    assert.equal(justOver.length - 1, 1025)
    const e = fails(() => flow().feed(justOver), '28P01', /^password authentication failed for user "alice"/)
    assert.ok(e.message.length < 100)
    const mib = initial(`n,,n=,r=${'a'.repeat(1 << 20)}`)
    failsForEveryone((w) => flow(w).feed(mib), '28P01', /^password authentication failed for user "alice"/)
    const { f } = afterFirst()
    fails(() => f.feed(p(`c=biws,r=x,p=${'A'.repeat(1100)}`)), '28P01', /password authentication failed/)
  })
})

describe('SCRAM login: client-first-message (read_client_first_message)', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'a channel-binding flag other than n, y or p',
      'x,,n=,r=abc',
      '08P01',
      /Unexpected channel-binding flag "'x'"/,
    ],
    [
      'p= (SCRAM-SHA-256-PLUS data without selecting it)',
      'p=tls-server-end-point,,n=,r=a',
      '08P01',
      /includes channel binding data/,
    ],
    ['no comma after the flag', 'n', '08P01', /Comma expected, but found character "0x00"/],
    [
      'something else than an authzid',
      'n,=,n=,r=abc',
      '08P01',
      /Unexpected attribute "'='" in client-first-message/,
    ],
    [
      'an authorization identity',
      'n,a=bob,n=,r=abc',
      '0A000',
      /^client uses authorization identity, but it is not supported/,
    ],
    [
      'a mandatory extension',
      'n,,m=ext,n=,r=abc',
      '0A000',
      /^client requires an unsupported SCRAM extension/,
    ],
    ['no user name attribute', 'n,,r=abc', '08P01', /Expected attribute "n" but found "'r'"/],
    ['a missing nonce', 'n,,n=', '08P01', /Expected attribute "r" but found "0x00"/],
    ['a nonce attribute without "="', 'n,,n=,rabc', '08P01', /Expected character "=" for attribute "r"/],
    ['a non-printable nonce', 'n,,n=,r=ab\x7fcd', '08P01', /^non-printable characters in SCRAM nonce: $/],
    [
      'a nonce with a byte above 0x7e',
      'n,,n=,r=ab\xffcd',
      '08P01',
      /^non-printable characters in SCRAM nonce/,
    ],
    [
      'an extension that is not letter "=" value',
      'n,,n=,r=abc,xy=1',
      '08P01',
      /Expected character "=" for attribute "x"/,
    ],
    ['a stray comma', 'n,,n=,r=abc,,', '08P01', /Attribute expected, but found invalid character "','"/],
  ]
  for (const [what, first, sqlstate, text] of cases) {
    it(`${what}: ${sqlstate}`, () => {
      failsForEveryone((w) => flow(w).feed(initial(first)), sqlstate, text)
    })
  }

  it('quotes at most one sanitized character of client text', () => {
    const e = fails(() => flow().feed(initial(`\x07${'z'.repeat(900)}`)), '08P01', /flag "0x07"/)
    assert.ok(`${e.message}${e.detail}`.length < 120)
    assert.doesNotMatch(`${e.message}${e.detail}`, /zzz/)
  })
})

describe('SCRAM login: client-final-message (read_client_final_message, verify_final_nonce, verify_client_proof)', () => {
  /** Fails client-final `make(serverFirst)` after client-first `first`, for a known and an unknown user. */
  function finalFails(make: (serverFirst: string) => string, sqlstate: string, text: RegExp, first?: string) {
    failsForEveryone(
      (w) => {
        const { f, serverFirst } = afterFirst(w, first)
        return f.feed(p(make(serverFirst)))
      },
      sqlstate,
      text,
    )
  }

  it('n,, then c=eSws is 08P01, though the proof is right (channel-binding flags must agree)', () => {
    const { f, serverFirst } = afterFirst()
    fails(
      () => f.feed(p(clientFinal(serverFirst, { cbind: 'eSws' }))),
      '08P01',
      /^unexpected SCRAM channel-binding attribute in client-final-message/,
    )
    finalFails((sf) => clientFinal(sf, { cbind: 'eSws' }), '08P01', /unexpected SCRAM channel-binding/)
  })

  it('y,, then c=biws, or any other c= value, is 08P01', () => {
    const cbind = /unexpected SCRAM channel-binding attribute/
    finalFails((sf) => clientFinal(sf), '08P01', cbind, `y,,${BARE}`)
    finalFails((sf) => clientFinal(sf, { cbind: 'cD10bHMtc2VydmVyLWVuZC1wb2ludCws' }), '08P01', cbind)
    finalFails((sf) => clientFinal(sf, { cbind: '' }), '08P01', cbind)
  })

  it('a nonce that is not the exchange\'s is 08P01 "invalid SCRAM response", not 28P01', () => {
    const text = /^invalid SCRAM response: Nonce does not match\.$/
    finalFails((sf) => clientFinal(sf, { nonce: CLIENT_NONCE }), '08P01', text)
    finalFails((sf) => clientFinal(sf, { nonce: '' }), '08P01', text)
    finalFails((sf) => clientFinal(sf, { nonce: `${sf.slice(2, sf.indexOf(','))}x` }), '08P01', text)
  })

  it('a proof that is not base64 of 32 bytes is 08P01 malformed, before the nonce is checked', () => {
    const text = /Malformed proof in client-final-message/
    for (const proof of ['!!!!', 'AAAA', `${'A'.repeat(43)}`, `${'A'.repeat(42)} =`, `${'A'.repeat(44)}`]) {
      finalFails((sf) => clientFinal(sf).replace(/p=.*$/, `p=${proof}`), '08P01', text)
    }
    finalFails(() => 'c=biws,r=wrong,p=!!', '08P01', text)
  })

  it('a wrong proof is 28P01 password authentication failed', () => {
    finalFails(
      (sf) => clientFinal(sf).replace(/p=./, (m) => (m === 'p=A' ? 'p=B' : 'p=A')),
      '28P01',
      /^password authentication failed for user "alice": $/,
    )
  })

  it('structure: missing c, r or p, garbage after the proof, a second proof', () => {
    finalFails(
      (sf) => clientFinal(sf).replace('c=biws,', ''),
      '08P01',
      /Expected attribute "c" but found "'r'"/,
    )
    finalFails(() => 'c=biws', '08P01', /Expected attribute "r" but found "0x00"/)
    finalFails((sf) => clientFinal(sf).replace(/,p=.*$/, ''), '08P01', /Attribute expected, but found end/)
    finalFails((sf) => `${clientFinal(sf)},x=1`, '08P01', /Garbage found at the end of client-final-message/)
    finalFails((sf) => `${clientFinal(sf)},p=AAAA`, '08P01', /Garbage found at the end/)
    finalFails((sf) => `${clientFinal(sf)}\0`, '08P01', /Message length does not match input length/)
    finalFails(() => '', '08P01', /The message is empty/)
  })

  it('a trailing comma after the proof passes, as in Postgres', () => {
    const { f, serverFirst } = afterFirst()
    assert.equal(f.feed(p(`${clientFinal(serverFirst)},`)).authenticated, true)
  })

  it('an unknown user with a well-formed exchange fails exactly like a wrong password', () => {
    const { f, serverFirst } = afterFirst('unknown')
    const unknown = fails(
      () => f.feed(p(clientFinal(serverFirst))),
      '28P01',
      /password authentication failed/,
    )
    const known = afterFirst('known')
    const wrong = fails(
      () => known.f.feed(p(clientFinal(known.serverFirst).replace(/p=./, 'p=/'))),
      '28P01',
      /password authentication failed/,
    )
    assert.deepEqual(unknown.toFields(), wrong.toFields())
    assert.match(serverFirst, /^r=[!-+\--~]+,s=[A-Za-z0-9+/]+=*,i=\d+$/)
  })
})

describe('Password messages (recv_password_packet)', () => {
  const md5User: UserCredential = { username: USER, password: PASSWORD }
  for (const method of ['password', 'md5'] as const) {
    const feed = (body: string) => {
      const f = createClientAuthFlow(method, md5User, USER)
      f.start()
      const message = p(body)
      return f.handle(message, 0, message.length)
    }
    it(`${method}: bytes after the NUL, no NUL or an inner NUL are 08P01 invalid password packet size`, () => {
      for (const body of [`${PASSWORD}\0x`, PASSWORD, 'a\0b\0', '']) {
        fails(() => feed(body), '08P01', /^invalid password packet size/)
      }
    })
    it(`${method}: an empty password is 28P01 empty password returned by client`, () => {
      fails(() => feed('\0'), '28P01', /^empty password returned by client/)
    })
    it(`${method}: a message over 65535 bytes (length word) is 08P01`, () => {
      fails(() => feed(`${'a'.repeat(65535)}\0`), '08P01', /^invalid message length/)
    })
  }
  it('password: the right password still logs in', () => {
    const f = createClientAuthFlow('password', md5User, USER)
    const message = p(`${PASSWORD}\0`)
    assert.equal(f.handle(message, 0, message.length).authenticated, true)
  })
})
