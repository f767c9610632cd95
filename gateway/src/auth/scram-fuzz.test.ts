/**
 * In-memory fuzz of ScramServerSession: thousands of mutated client-first / client-final messages (and
 * random bytes, and calls out of order). The session may only throw ScramProtocolError (with a short
 * text) or answer `{ ok: false }`, and may succeed only when the proof was made with the right password,
 * in which case its signature must be the one the client expects for the messages actually exchanged.
 * Replay a failure with SKIFF_FUZZ_SEED=<seed printed below>.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chunks, fuzzSeed, mutate, Prng } from '../../../test/helpers/fuzz.js'
import { deriveScramKeys, hmac, type ScramKeys, xorBytes } from './scram-common.js'
import { makeScramSecret } from './scram-secret.js'
import { ScramProtocolError, type ScramServerFinalResult, ScramServerSession } from './scram-server.js'

const CASES = 6000
const SALT = Buffer.from('fuzz-salt-16byte')
const ITERATIONS = 16
const SECRET = makeScramSecret('pencil', { salt: SALT, iterations: ITERATIONS })
/** A user the client has no password for (Skiff's mock secret for unknown users is one). */
const OTHER_SECRET = makeScramSecret('not the password', { salt: SALT, iterations: ITERATIONS })
const RIGHT = deriveScramKeys(Buffer.from('pencil'), SALT, ITERATIONS)
const WRONG = deriveScramKeys(Buffer.from('pencil!'), SALT, ITERATIONS)
const SERVER_NONCE = 'fuzzServerNonce+/09'
const FIRSTS = ['n,,n=,r=fuzzClientNonce', 'y,,n=,r=abc', 'n,,n=*,r=q,x=ext', 'n,,n=,r=', 'n,,n=user,r=a~!,']

/** Outcome of one call: a value, or the error (after checking it is a ScramProtocolError). */
type Outcome<T> = { value: T } | { error: ScramProtocolError }

function attempt<T>(session: ScramServerSession, call: () => T): Outcome<T> {
  try {
    return { value: call() }
  } catch (error) {
    assert.ok(error instanceof ScramProtocolError, `only ScramProtocolError may escape, got ${String(error)}`)
    assert.ok(error.message.length + (error.detail?.length ?? 0) < 200, 'error text stays short')
    assert.equal(session.state, 'failed', 'a session that threw is finished')
    return { error }
  }
}

/** The client-final a client holding `keys` sends after `first`, and the signature it then expects. */
function clientFinal(keys: ScramKeys, first: Buffer, serverFirst: string): Buffer {
  const cbind = first[0] === 0x79 ? 'eSws' : 'biws' // "y"
  const nonce = serverFirst.slice(2, serverFirst.indexOf(','))
  const without = `c=${cbind},r=${nonce}`
  const auth = Buffer.concat([first.subarray(3), Buffer.from(`,${serverFirst},${without}`, 'latin1')])
  const proof = xorBytes(keys.clientKey, hmac(keys.storedKey, auth))
  return Buffer.from(`${without},p=${proof.toString('base64')}`, 'latin1')
}

/**
 * What the server must sign after a success: its AuthMessage is client-first-bare (a success means the
 * gs2 header was 3 bytes), server-first, and client-final up to its one ",p=".
 */
function expectedSignature(first: Buffer, serverFirst: string, final: Buffer): string {
  const text = final.toString('latin1')
  const without = text.slice(0, text.indexOf(',p='))
  const auth = Buffer.concat([first.subarray(3), Buffer.from(`,${serverFirst},${without}`, 'latin1')])
  return `v=${hmac(SECRET.serverKey, auth).toString('base64')}`
}

/** Tallies, to show the fuzzer reached every outcome. */
interface Tally {
  firstErrors: number
  finalErrors: number
  refused: number
  succeeded: number
}

/** One case: maybe-mutated client-first, then a client-final from the right or a wrong key, maybe mutated. */
function fuzzCase(rng: Prng, tally: Tally): void {
  const knowsPassword = rng.chance(0.6)
  const ownSecret = rng.chance(0.85) // else: a user whose secret the client's password does not match
  const session = new ScramServerSession(ownSecret ? SECRET : OTHER_SECRET, SERVER_NONCE)
  let first: Buffer = Buffer.from(rng.pick(FIRSTS), 'latin1')
  const firstMutated = rng.chance(0.4)
  if (firstMutated) first = rng.chance(0.1) ? rng.bytes(rng.int(64)) : mutate(rng, first)
  const one = attempt(session, () => session.handleClientFirst(first))
  if ('error' in one) return void tally.firstErrors++
  const { serverFirst } = one.value
  let final: Buffer = clientFinal(knowsPassword ? RIGHT : WRONG, first, serverFirst)
  if (rng.chance(0.7)) final = rng.chance(0.05) ? rng.bytes(rng.int(80)) : mutate(rng, final)
  const two: Outcome<ScramServerFinalResult> = attempt(session, () => session.handleClientFinal(final))
  if ('error' in two) return void tally.finalErrors++
  if (!two.value.ok) {
    assert.equal(session.state, 'failed')
    return void tally.refused++
  }
  assert.ok(knowsPassword && ownSecret, `success without the right proof: ${final.toString('latin1')}`)
  assert.equal(session.state, 'succeeded')
  assert.equal(two.value.serverFinal, expectedSignature(first, serverFirst, final))
  tally.succeeded++
}

describe('ScramServerSession fuzz', () => {
  it(`${CASES} mutated exchanges: only ScramProtocolError or a refusal, success only with the proof`, (t) => {
    const seed = fuzzSeed()
    t.diagnostic(`seed ${seed} (replay with SKIFF_FUZZ_SEED=${seed})`)
    const rng = new Prng(seed)
    const tally: Tally = { firstErrors: 0, finalErrors: 0, refused: 0, succeeded: 0 }
    for (let i = 0; i < CASES; i++) {
      try {
        fuzzCase(rng, tally)
      } catch (error) {
        throw new Error(`case ${i} with seed ${seed}: ${(error as Error).message}`, { cause: error })
      }
    }
    t.diagnostic(JSON.stringify(tally))
    for (const [outcome, count] of Object.entries(tally)) assert.ok(count > CASES / 100, `few ${outcome}`)
  })

  it('messages out of order, repeated or after the end only throw ScramProtocolError', () => {
    const rng = new Prng(fuzzSeed())
    for (let i = 0; i < 500; i++) {
      const session = new ScramServerSession(SECRET, SERVER_NONCE)
      const first = Buffer.from(rng.pick(FIRSTS), 'latin1')
      for (const piece of chunks(rng, Buffer.concat([first, rng.bytes(rng.int(40))]))) {
        const call: () => unknown = rng.chance(0.5)
          ? () => session.handleClientFirst(piece)
          : () => session.handleClientFinal(piece)
        attempt(session, call)
      }
      assert.notEqual(session.state, 'succeeded')
    }
  })
})
