/**
 * Hostile SCRAM-SHA-256 logins over raw sockets: each malformed exchange must end, within a couple of
 * seconds, with a FATAL ErrorResponse carrying the SQLSTATE Postgres gives, and a closed socket. Every
 * sequence is replayed straight against the topology's Postgres (same user and password) to show that
 * Skiff answers as Postgres 15 does, and against Skiff for an unknown user, who must get the same answer.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pgClient } from '../helpers/clients.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import type { RawSocket } from '../helpers/raw-socket.js'
import {
  AUTH_SASL_CONTINUE,
  authMessages,
  type ClientFinalParts,
  clientFinal,
  type Ending,
  endingOf,
  message,
  openSaslLogin,
  saslInitialResponse,
  saslResponse,
  serverFirstOf,
} from '../helpers/scram-wire.js'
import { topology } from '../helpers/topology.js'

const MECH = 'SCRAM-SHA-256'
const NONCE = 'hostileClientNonce0123'
const BARE = `n=,r=${NONCE}`
/** How long a refused login may take to be answered and closed. */
const CLOSE_WITHIN_MS = 2000

/** One hostile exchange, written after the AuthenticationSASL offer. */
interface Case {
  name: string
  sqlstate: string
  run(s: RawSocket): Promise<void>
  /** Skiff words this one differently (the check lives outside the SCRAM code); the SQLSTATE must agree. */
  wordedDifferently?: boolean
}

/** Sends client-first `gs2 + bare`, then a client-final built from `parts` and passed through `mutate`. */
function exchange(gs2: string, parts: ClientFinalParts = {}, mutate = (final: string) => final, bare = BARE) {
  return async (s: RawSocket): Promise<void> => {
    s.write(saslInitialResponse(MECH, gs2 + bare))
    const serverFirst = await serverFirstOf(s)
    s.write(saslResponse(mutate(clientFinal(topology().users.scram.password, bare, serverFirst, parts))))
  }
}

/** Sends only a SASLInitialResponse. */
function initialOnly(
  data: string | undefined,
  o: Parameters<typeof saslInitialResponse>[2] = {},
  mech = MECH,
) {
  return async (s: RawSocket): Promise<void> => s.write(saslInitialResponse(mech, data, o))
}

const CASES: Case[] = [
  { name: 'a client-first that is not SCRAM at all', sqlstate: '08P01', run: initialOnly('hello') },
  { name: 'a client-first without a nonce', sqlstate: '08P01', run: initialOnly('n,,n=') },
  { name: 'a non-printable client nonce', sqlstate: '08P01', run: initialOnly('n,,n=,r=a\tb') },
  { name: 'an unknown channel-binding flag', sqlstate: '08P01', run: initialOnly(`x,,${BARE}`) },
  { name: 'p= channel binding without -PLUS', sqlstate: '08P01', run: initialOnly(`p=tls-unique,,${BARE}`) },
  { name: 'an authorization identity', sqlstate: '0A000', run: initialOnly(`n,a=postgres,${BARE}`) },
  { name: 'a mandatory extension', sqlstate: '0A000', run: initialOnly(`n,,m=x,${BARE}`) },
  {
    name: 'a 4 KB client nonce (oversized)',
    sqlstate: '28P01',
    run: initialOnly(`n,,n=,r=${'a'.repeat(4096)}`),
  },
  {
    name: 'a 2 KB attribute in client-final (oversized)',
    sqlstate: '28P01',
    run: exchange('n,,', { extensions: `x=${'b'.repeat(2048)}` }),
  },
  {
    name: 'trailing bytes after the SASL data',
    sqlstate: '08P01',
    run: initialOnly(`n,,${BARE}`, { trailing: Buffer.from('!!') }),
  },
  {
    name: 'a declared length longer than the data',
    sqlstate: '08P01',
    run: initialOnly(`n,,${BARE}`, { declaredLength: 500 }),
  },
  {
    name: 'a declared length of -1 with data',
    sqlstate: '08P01',
    run: initialOnly(`n,,${BARE}`, { declaredLength: -1 }),
  },
  { name: 'an empty client-first', sqlstate: '08P01', run: initialOnly('') },
  { name: 'a NUL inside client-first', sqlstate: '08P01', run: initialOnly(`n,,n=\0,r=${NONCE}`) },
  { name: 'a mechanism not offered', sqlstate: '08P01', run: initialOnly(`n,,${BARE}`, {}, 'SCRAM-SHA-1') },
  {
    name: 'a SASLResponse before the initial response',
    sqlstate: '08P01',
    run: async (s) => s.write(saslResponse(`c=biws,r=${NONCE},p=AAAA`)),
  },
  {
    name: 'a Query instead of a SASL message',
    sqlstate: '08P01',
    run: async (s) => s.write(message('Q', Buffer.from('select 1\0'))),
    wordedDifferently: true,
  },
  {
    name: 'n,, then c=eSws (y,,) in client-final',
    sqlstate: '08P01',
    run: exchange('n,,', { channelBinding: 'eSws' }),
  },
  { name: 'y,, then c=biws (n,,) in client-final', sqlstate: '08P01', run: exchange('y,,') },
  { name: 'a nonce mismatch', sqlstate: '08P01', run: exchange('n,,', { nonce: `${NONCE}forged` }) },
  {
    name: 'a wrong proof',
    sqlstate: '28P01',
    run: exchange('n,,', {}, (f) => f.replace(/p=./, (m) => (m === 'p=A' ? 'p=B' : 'p=A'))),
  },
  {
    name: 'a proof that is not base64',
    sqlstate: '08P01',
    run: exchange('n,,', {}, (f) => f.replace(/p=.*/, 'p=#not*base64#')),
  },
  {
    name: 'a proof of the wrong length',
    sqlstate: '08P01',
    run: exchange('n,,', {}, (f) => f.replace(/p=.*/, 'p=AAAA')),
  },
  { name: 'garbage after the proof', sqlstate: '08P01', run: exchange('n,,', {}, (f) => `${f},x=1`) },
  {
    name: 'a client-final without a proof',
    sqlstate: '08P01',
    run: exchange('n,,', {}, (f) => f.replace(/,p=.*/, '')),
  },
]

/** Runs one case as `user` against `port` and reports how it ended. */
async function attempt(port: number, user: string, c: Case): Promise<Ending> {
  const s = await openSaslLogin(port, user, topology().database)
  await c.run(s)
  return endingOf(s, CLOSE_WITHIN_MS + 1000)
}

/** The login completes (AuthenticationOk and ReadyForQuery) after `run`. */
async function loginCompletes(port: number, run: (s: RawSocket) => Promise<void>): Promise<boolean> {
  const s = await openSaslLogin(port, topology().users.scram.username, topology().database)
  await run(s)
  await s.until(() => s.closed || s.messages.some((m) => m.code === 'Z'), 5000)
  const ok = s.messages.some((m) => m.code === 'Z') && authMessages(s).some((m) => m.code === 0)
  s.destroy()
  return ok
}

describe("hostile SCRAM logins end with Postgres's SQLSTATE and a close", () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ poolSize: 2 })
  })
  after(() => gw.stop())

  for (const c of CASES) {
    it(`${c.name}: FATAL ${c.sqlstate}, closed, as Postgres answers`, async () => {
      const t = topology()
      const user = t.users.scram.username
      const skiff = await attempt(gw.port, user, c)
      assert.equal(skiff.sqlstate, c.sqlstate, skiff.message)
      assert.equal(skiff.severity, 'FATAL')
      assert.ok(skiff.closed, 'Skiff closes the connection')
      assert.ok(skiff.ms < CLOSE_WITHIN_MS, `closed after ${skiff.ms} ms`)

      const postgres = await attempt(t.primary.port, user, c)
      assert.ok(postgres.closed)
      assert.equal(skiff.sqlstate, postgres.sqlstate, `Postgres: ${postgres.message}`)
      if (!c.wordedDifferently) assert.equal(skiff.message, postgres.message)

      const unknown = await attempt(gw.port, 'no_such_user', c)
      assert.equal(unknown.sqlstate, skiff.sqlstate, 'an unknown user gets the same SQLSTATE')
      assert.equal(unknown.message?.replace('no_such_user', user), skiff.message)
    })
  }

  it('a 1 MiB client nonce is not echoed: FATAL 28P01 and a close', async () => {
    const s = await openSaslLogin(gw.port, topology().users.scram.username, topology().database)
    s.write(saslInitialResponse(MECH, `n,,n=,r=${'a'.repeat(1 << 20)}`))
    const end = await endingOf(s, CLOSE_WITHIN_MS + 1000)
    assert.equal(end.sqlstate, '28P01')
    assert.ok(end.closed && end.ms < CLOSE_WITHIN_MS, `closed=${end.closed} after ${end.ms} ms`)
    assert.equal(authMessages(s).filter((m) => m.code === AUTH_SASL_CONTINUE).length, 0)
    assert.ok(s.received.reduce((n, b) => n + b.length, 0) < 1000, 'nothing large comes back')
  })

  it('what Postgres accepts, Skiff accepts: y,, + c=eSws, an empty nonce, extensions, no initial data', async () => {
    const accepted: Array<[string, (s: RawSocket) => Promise<void>]> = [
      ['y,, then c=eSws', exchange('y,,', { channelBinding: 'eSws' })],
      ['an empty client nonce', exchange('n,,', {}, (f) => f, 'n=,r=')],
      [
        'extensions and a trailing comma',
        exchange('n,,', { extensions: 'x=1' }, (f) => `${f},`, `${BARE},y=2`),
      ],
      ['a declared length of -1', noInitialDataThenExchange],
    ]
    for (const [name, run] of accepted) {
      assert.equal(await loginCompletes(topology().primary.port, run), true, `Postgres accepts ${name}`)
      assert.equal(await loginCompletes(gw.port, run), true, `Skiff accepts ${name}`)
    }
  })

  it('a normal SCRAM login and query still work afterwards', async () => {
    await using c = await pgClient(gw.url('scram'))
    assert.equal((await c.query('select 41 + 1 as n')).rows[0].n, 42)
  })
})

/** SASLInitialResponse with no data (length -1): an empty challenge, then client-first in a SASLResponse. */
async function noInitialDataThenExchange(s: RawSocket): Promise<void> {
  s.write(saslInitialResponse(MECH, undefined))
  await s.until(() => authMessages(s).some((m) => m.code === AUTH_SASL_CONTINUE) || s.closed)
  const challenge = authMessages(s).find((m) => m.code === AUTH_SASL_CONTINUE)
  assert.equal(challenge?.data.length, 0, 'an empty challenge')
  s.messages.splice(0) // so that the next SASLContinue found is the server-first-message
  s.write(saslResponse(`n,,${BARE}`))
  const serverFirst = await serverFirstOf(s)
  s.write(saslResponse(clientFinal(topology().users.scram.password, BARE, serverFirst)))
}
