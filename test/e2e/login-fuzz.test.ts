/**
 * Fuzz of the startup and SCRAM path of a live gateway. A seeded PRNG mutates valid login transcripts
 * (StartupMessage, SASLInitialResponse, SASLResponse: bit flips, truncation, length fields, insertions,
 * random chunking) and sends random bytes, over several connections at once. Every case must end in
 * bounded time: where the bytes sent end in complete messages the gateway itself must answer (close,
 * log in, or ask for the next SCRAM step); otherwise the client's EOF must close the connection. Every
 * ErrorResponse must be FATAL with an expected SQLSTATE, nothing may log in without the right proof, and
 * the gateway must never throw. Replay a run with SKIFF_FUZZ_SEED=<seed printed below>.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { isFrontendCode } from '../../gateway/src/protocol/codes.js'
import { MAX_MESSAGE_LENGTH } from '../../gateway/src/protocol/framer.js'
import { pgClient } from '../helpers/clients.js'
import { chunks, fuzzSeed, mutate, Prng } from '../helpers/fuzz.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import {
  clientFinal,
  parseServerFirst,
  saslInitialResponse,
  saslResponse,
  startupMessage,
} from '../helpers/scram-wire.js'
import { topology } from '../helpers/topology.js'

/** Stop starting cases after this long, or after this many. */
const BUDGET_MS = 30_000
const MAX_CASES = 4000
const PARALLEL = 6
/** How long the gateway may take to answer a complete message, or to close after the client's EOF. */
const CASE_BOUND_MS = 3000
const ALLOWED_SQLSTATES = new Set(['08P01', '28P01', '28000', '0A000', '3D000', '57014', '53300'])
const MECH = 'SCRAM-SHA-256'
const NONCE = 'fuzzClientNonce'
const BARE = `n=,r=${NONCE}`

/** A backend message as received. */
interface Reply {
  code: string
  body: Buffer
}

/** A raw connection that records everything the gateway sends, including SSLRequest's bare 'N'. */
class FuzzConn {
  private readonly received: Buffer[] = []
  closed = false
  private wake: Array<() => void> = []

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => this.notify(() => this.received.push(b)))
    socket.on('close', () => this.notify(() => (this.closed = true)))
    socket.on('error', () => {})
  }

  static open(port: number): Promise<FuzzConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new FuzzConn(s)))
      s.once('error', reject)
    })
  }

  private notify(change: () => void): void {
    change()
    for (const w of this.wake.splice(0)) w()
  }

  /** Writes the chunks, sometimes yielding between them so that they arrive apart. */
  async send(rng: Prng, parts: Buffer[]): Promise<void> {
    for (const part of parts) {
      if (this.closed) return
      this.socket.write(part)
      if (rng.chance(0.3)) await new Promise((r) => setTimeout(r, rng.int(3)))
    }
  }

  end(): void {
    this.socket.end()
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** Waits until `done()` holds; false after `ms`. */
  async until(done: () => boolean, ms = CASE_BOUND_MS): Promise<boolean> {
    const deadline = Date.now() + ms
    while (!done()) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      await new Promise<void>((r) => {
        this.wake.push(r)
        setTimeout(r, Math.min(left, 100))
      })
    }
    return true
  }

  /**
   * The replies so far; leading 'N' bytes (SSLRequest refusals) are skipped. Once the connection is
   * closed, bytes that do not frame as whole messages are an error; before that they may still be arriving.
   */
  replies(): Reply[] {
    const data = Buffer.concat(this.received)
    let pos = 0
    while (data[pos] === 0x4e && !looksLikeMessage(data, pos)) pos++
    const out: Reply[] = []
    while (pos < data.length) {
      const end = data.length - pos < 5 ? Number.POSITIVE_INFINITY : pos + 1 + data.readUInt32BE(pos + 1)
      if (end > data.length) {
        if (this.closed) throw new Error(`gateway sent a partial message (${data[pos]}) at byte ${pos}`)
        break
      }
      out.push({ code: String.fromCharCode(data[pos]!), body: data.subarray(pos + 5, end) })
      pos = end
    }
    return out
  }

  /** Authentication request sub-codes received so far. */
  authCodes(): number[] {
    return this.replies()
      .filter((m) => m.code === 'R')
      .map((m) => m.body.readInt32BE(0))
  }

  loggedIn(): boolean {
    return this.replies().some((m) => m.code === 'Z')
  }
}

/** Whether an 'N' at `pos` starts a whole NoticeResponse (Skiff sends none before login, but be exact). */
function looksLikeMessage(data: Buffer, pos: number): boolean {
  if (data.length - pos < 5) return false
  const len = data.readUInt32BE(pos + 1)
  return len >= 4 && pos + 1 + len === data.length
}

/**
 * Whether tagged messages `bytes` end on a message boundary, or in a header the gateway refuses at once
 * (a bad type byte or length): then the gateway has everything it needs to answer.
 */
function answerDue(bytes: Buffer): boolean {
  if (bytes.length === 0) return false
  let pos = 0
  while (pos < bytes.length) {
    if (!isFrontendCode(bytes[pos]!)) return true
    if (bytes.length - pos < 5) return false
    const len = bytes.readUInt32BE(pos + 1)
    if (len < 4 || len > MAX_MESSAGE_LENGTH) return true
    pos += 1 + len
  }
  return pos === bytes.length
}

/** What happened in one case, for the tally. */
type Verdict = 'logged-in' | 'closed-silently' | `error-${string}` | 'asked-for-more'

interface CaseContext {
  rng: Prng
  port: number
  user: string
  knownUser: boolean
}

/** The StartupMessage and SASLInitialResponse of a valid login. */
function transcriptHead(user: string): Buffer {
  return Buffer.concat([startupMessage(user, topology().database), saslInitialResponse(MECH, `n,,${BARE}`)])
}

/** Prefixes `body` with its type byte (none for a startup packet) and a correct length. */
function framed(type: string | undefined, body: Buffer): Buffer {
  const head = Buffer.alloc(type === undefined ? 4 : 5)
  if (type !== undefined) head.write(type)
  head.writeUInt32BE(body.length + 4, head.length - 4)
  return Buffer.concat([head, body])
}

/**
 * Mutates one message at a level picked at random: its payload, re-framed with correct lengths (so
 * that the parser behind the framing sees it); its body under a correct outer length; or its raw bytes,
 * length fields (at `lengthAt`) included.
 */
function mutateMessage(
  rng: Prng,
  payload: Buffer,
  build: (payload: Buffer) => Buffer,
  lengthAt: number[],
): Buffer {
  const level = rng.next()
  if (level < 0.5) return build(mutate(rng, payload))
  const message = build(payload)
  if (level < 0.8) return framed(String.fromCharCode(message[0]!), mutate(rng, message.subarray(5)))
  return mutate(rng, message, lengthAt)
}

/** A StartupMessage with its body (version and parameters) or its raw bytes mutated. */
function mutatedStartup(rng: Prng, user: string): Buffer {
  const startup = startupMessage(user, topology().database)
  return rng.chance(0.7) ? framed(undefined, mutate(rng, startup.subarray(4))) : mutate(rng, startup, [0])
}

/** A SASLInitialResponse carrying a (usually valid) client-first-message, mutated at some level. */
function mutatedInitial(rng: Prng): Buffer {
  const first = Buffer.from(rng.pick([`n,,${BARE}`, `y,,${BARE}`, `n,,${BARE},x=1`]))
  const build = (data: Buffer) => saslInitialResponse(MECH, data)
  return mutateMessage(rng, first, build, [1, 5 + MECH.length + 1])
}

/**
 * Ends a case: after the client's EOF the connection must close within the bound. Returns the verdict
 * after checking every reply.
 */
async function finish(conn: FuzzConn, sentEof: boolean, proofWasRight: boolean): Promise<Verdict> {
  if (!conn.closed && !conn.loggedIn()) {
    if (!sentEof) conn.end()
    assert.ok(
      await conn.until(() => conn.closed),
      `no close within ${CASE_BOUND_MS} ms after the client's EOF`,
    )
  }
  const replies = conn.replies()
  conn.destroy()
  // Whatever follows a login (bytes after client-final are the session's first messages) is not login.
  const login = replies.findIndex((m) => m.code === 'Z')
  const error = replies.findIndex((m) => m.code === 'E')
  if (error >= 0 && (login < 0 || error < login)) return checkError(replies[error]!, replies)
  if (login >= 0) {
    assert.ok(proofWasRight, 'logged in without the right proof')
    return 'logged-in'
  }
  return replies.length === 0 ? 'closed-silently' : 'asked-for-more'
}

/**
 * Every error a client can get once SCRAM has begun: Postgres's SCRAM and SASL framing messages, the
 * wrong-password message, and the framer's. Anything else (say, a TypeError's text) is a crash that was
 * turned into 08P01.
 */
const SCRAM_STAGE_ERRORS = new RegExp(
  `^(${[
    'malformed SCRAM message',
    'invalid SCRAM response',
    'unexpected SCRAM channel-binding attribute in client-final-message',
    'non-printable characters in SCRAM nonce',
    'client uses authorization identity, but it is not supported',
    'client requires an unsupported SCRAM extension',
    'client selected an invalid SASL authentication mechanism',
    'insufficient data left in message',
    'invalid message format',
    'invalid string in message',
    // The user name comes from the (possibly mutated) StartupMessage: any text but a quote.
    'password authentication failed for user ".*"',
    'expected (password|SASL) response, got message type \\d+',
    'invalid frontend message type \\d+',
    'invalid message length',
  ].join('|')})`,
)

/** Texts of JavaScript's own errors, which must never reach a client. */
const INTERNAL_ERROR = /is not a function|Cannot read|undefined|out of range|ERR_[A-Z_]+|Maximum call stack/

/** An ErrorResponse must be FATAL, carry an expected SQLSTATE, and, once SCRAM began, be Postgres's and short. */
function checkError(error: Reply, replies: Reply[]): Verdict {
  const fields = new Map<string, string>()
  for (let at = 0; at < error.body.length && error.body[at] !== 0; ) {
    const nul = error.body.indexOf(0, at + 1)
    fields.set(String.fromCharCode(error.body[at]!), error.body.toString('utf8', at + 1, nul))
    at = nul + 1
  }
  const code = fields.get('C') ?? '?'
  assert.ok(ALLOWED_SQLSTATES.has(code), `unexpected SQLSTATE ${code}: ${fields.get('M')}`)
  assert.equal(fields.get('S'), 'FATAL', fields.get('M'))
  const message = fields.get('M') ?? ''
  assert.doesNotMatch(message, INTERNAL_ERROR)
  if (replies.some((m) => m.code === 'R' && m.body.readInt32BE(0) === 10)) {
    assert.match(message, SCRAM_STAGE_ERRORS)
    const text = `${message}${fields.get('D') ?? ''}`
    assert.ok(text.length < 300, `a SCRAM error quotes too much: ${text.slice(0, 80)}...`)
  }
  return `error-${code}`
}

/** Random bytes, sometimes after a valid StartupMessage. */
async function randomBytesCase(c: CaseContext): Promise<Verdict> {
  const conn = await FuzzConn.open(c.port)
  const head = c.rng.chance(0.5) ? startupMessage(c.user, topology().database) : Buffer.alloc(0)
  await conn.send(c.rng, chunks(c.rng, Buffer.concat([head, c.rng.bytes(1 + c.rng.int(400))])))
  conn.end()
  return finish(conn, true, false)
}

/** A mutated StartupMessage + SASLInitialResponse, sent at once. */
async function startupCase(c: CaseContext): Promise<Verdict> {
  const conn = await FuzzConn.open(c.port)
  const head = c.rng.chance(0.5)
    ? Buffer.concat([mutatedStartup(c.rng, c.user), saslInitialResponse(MECH, `n,,${BARE}`)])
    : mutate(c.rng, transcriptHead(c.user), [0])
  await conn.send(c.rng, chunks(c.rng, head))
  conn.end()
  return finish(conn, true, false)
}

/** A valid StartupMessage, then a mutated SASLInitialResponse; complete messages must be answered. */
async function initialCase(c: CaseContext): Promise<Verdict> {
  const conn = await FuzzConn.open(c.port)
  await conn.send(c.rng, [startupMessage(c.user, topology().database)])
  assert.ok(await conn.until(() => conn.authCodes().includes(10) || conn.closed), 'no AuthenticationSASL')
  const sent = mutatedInitial(c.rng)
  await conn.send(c.rng, chunks(c.rng, sent))
  if (answerDue(sent)) {
    const answered = await conn.until(() => conn.closed || conn.authCodes().includes(11))
    assert.ok(
      answered,
      `no answer to a complete SASLInitialResponse: ${sent.toString('latin1').slice(0, 60)}`,
    )
  }
  return finish(conn, false, false)
}

/** A valid exchange up to server-first, then a (usually mutated) client-final from the right or a wrong password. */
async function finalCase(c: CaseContext, mutateFinal: boolean): Promise<Verdict> {
  const conn = await FuzzConn.open(c.port)
  await conn.send(c.rng, chunks(c.rng, transcriptHead(c.user)))
  assert.ok(await conn.until(() => conn.authCodes().includes(11) || conn.closed), 'no server-first-message')
  const serverFirst = conn.replies().find((m) => m.code === 'R' && m.body.readInt32BE(0) === 11)
  assert.ok(
    serverFirst,
    `an intact SASLInitialResponse got no server-first-message: ${conn.replies().map((m) => m.code)}`,
  )
  const rightPassword = !mutateFinal || c.rng.chance(0.7)
  const password = rightPassword ? topology().users.scram.password : 'not-the-password'
  const text = Buffer.from(
    clientFinal(password, BARE, parseServerFirst(serverFirst.body.toString('latin1', 4))),
  )
  const sent = mutateFinal ? mutateMessage(c.rng, text, saslResponse, [1]) : saslResponse(text)
  await conn.send(c.rng, chunks(c.rng, sent))
  if (answerDue(sent)) {
    const answered = await conn.until(() => conn.closed || conn.loggedIn())
    assert.ok(answered, `no answer to a complete client-final: ${sent.toString('latin1').slice(0, 60)}`)
  }
  const verdict = await finish(conn, false, rightPassword && c.knownUser)
  if (!mutateFinal) assert.equal(verdict, c.knownUser ? 'logged-in' : 'error-28P01', 'an intact login')
  return verdict
}

/** Picks and runs case `index`; its PRNG depends only on the seed and the index. */
function runCase(seed: number, index: number, port: number): Promise<Verdict> {
  const rng = new Prng((seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0)
  const knownUser = rng.chance(0.8)
  const user = knownUser ? topology().users.scram.username : 'fuzz_nobody'
  const c: CaseContext = { rng, port, user, knownUser }
  const roll = rng.next()
  if (roll < 0.1) return randomBytesCase(c)
  if (roll < 0.3) return startupCase(c)
  if (roll < 0.55) return initialCase(c)
  return finalCase(c, roll < 0.92)
}

describe('login fuzz: startup and SCRAM', () => {
  let gw: TestGateway
  const uncaught: unknown[] = []
  const record = (error: unknown) => uncaught.push(error)
  before(async () => {
    process.on('uncaughtException', record)
    process.on('unhandledRejection', record)
    gw = await startTestGateway({ poolSize: 2 })
  })
  after(async () => {
    process.off('uncaughtException', record)
    process.off('unhandledRejection', record)
    await gw.stop()
  })

  it('mutated transcripts and random bytes end in bounded time with an expected answer', {
    timeout: 60_000,
  }, async (t) => {
    const seed = fuzzSeed()
    t.diagnostic(`seed ${seed} (replay with SKIFF_FUZZ_SEED=${seed})`)
    const started = Date.now()
    const tally = new Map<string, number>()
    const failures: string[] = []
    let next = 0
    const worker = async () => {
      while (next < MAX_CASES && Date.now() - started < BUDGET_MS && failures.length < 5) {
        const index = next++
        try {
          const verdict = await runCase(seed, index, gw.port)
          tally.set(verdict, (tally.get(verdict) ?? 0) + 1)
        } catch (error) {
          failures.push(`case ${index} (seed ${seed}): ${(error as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker))
    t.diagnostic(`${next} cases in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries(tally))}`)
    assert.deepEqual(failures, [])
    assert.deepEqual(uncaught, [], 'the gateway threw')
    assert.ok(next >= 300, `only ${next} cases ran`)
    assert.ok(
      (tally.get('logged-in') ?? 0) > 0 && (tally.get('error-08P01') ?? 0) > 0,
      'the fuzzer reached both ends',
    )
  })

  it('afterwards no client is left registered, and a normal login and query work', async () => {
    const closedAll = async () => {
      for (let i = 0; i < 50 && gw.gateway.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 100))
      return gw.gateway.clients.size
    }
    assert.equal(await closedAll(), 0)
    await using c = await pgClient(gw.url('scram'))
    assert.equal((await c.query('select 41 + 1 as n')).rows[0].n, 42)
    assert.deepEqual(uncaught, [])
  })
})
