/**
 * parseListenCommand against Postgres itself: for each text it recognizes, the server, given the same
 * text, listens on exactly the channel it reported (`pg_listening_channels()`) and sends the truncation
 * notice exactly when it said so; each text it leaves alone because Postgres refuses it, Postgres
 * refuses; and the keyword list matches the server's `pg_get_keywords()`.
 * Needs the topology that `node test/run.mjs` starts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type pg from 'pg'
import { pgClient } from '../../../test/helpers/clients.js'
import { directUrl } from '../../../test/helpers/topology.js'
import { parseListenSql, truncationNotice } from './listen-command.js'
import { NOT_COL_ID } from './reserved-keywords.js'

const skip = process.env.SKIFF_TOPOLOGY_FILE ? false : 'needs the Postgres topology (node test/run.mjs sql/)'

/** Texts the parser recognizes; the server must agree on what each does. */
const RECOGNIZED = [
  ...['LISTEN Orders', 'listen ÄbcÉ_x$1', 'listen "MixedCase"', 'listen "a""b"', 'listen "select"'],
  ...[
    'listen "with space; and -- not a comment"',
    'listen U&"d\\0061t\\+000061"',
    'listen u&"\\D83D\\DE00!"',
  ],
  ...[`listen U&"d!0061t" UESCAPE '!'`, `listen U&"d!0061t" /* c */ uescape /* c */ '!' ;`],
  ...[`listen U&"d!0061t" uescape E'!'`, `listen U&"d!0061t" uescape $$!$$`],
  ...['listen U&"a\\\\b"', '  listen a ;', '/* x */ listen -- y\n a /* z /* nested */ */;;  ; ', ';listen a'],
  ...['listen name', 'listen int', 'listen json_table', 'listen value', 'listen "*"'],
  ...[`listen A${'b'.repeat(70)}`, `listen "${'x'.repeat(63)}"`, `listen "${'x'.repeat(62)}éz"`],
  ...[`listen "${'x'.repeat(61)}éz"`, `listen U&"${'x'.repeat(61)}\\+01F600"`, `listen "${'Ü'.repeat(40)}"`],
  ...['unlisten ORDERS', 'unlisten "MixedCase"', 'unlisten "*"', `UNLISTEN "${'q'.repeat(80)}"`],
  ...['UnListen *', '\n\tunlisten\n*\n;'],
]

/** Texts the parser leaves alone because Postgres refuses them. */
const REFUSED = [
  ...['listen select', 'listen join', 'listen user', 'unlisten table', 'listen a.b', 'listen', 'unlisten'],
  ...['listen *', 'listen ""', 'listen U&""', 'listen "abc', 'listen a /* open', "listen 'a'", 'listen 1a'],
  ...['listen $1', 'listen $$a$$', "listen E'a'", 'listen (a)', 'listen a, b', 'listen a b'],
  ...[
    'listen U&"\\00"',
    'listen U&"\\0000"',
    'listen U&"\\+110000"',
    'listen U&"\\xyz"',
    'listen U&"\\D83D"',
  ],
  ...['listen U&"\\DE00"', 'listen U&"\\D83Dx"', 'listen U&"\\D83D\\0041"', `listen U&"a" uescape`],
  ...[`listen U&"a" uescape 'ab'`, `listen U&"a" uescape '+'`, `listen U&"a" uescape 'f'`],
  ...[`listen U&"a" uescape ' '`, `listen U&"a" uescape U&'!'`, `listen U&"a" uescape N'!'`],
]

/** Texts Postgres runs that the parser leaves to it all the same (rare spellings, two statements). */
const LEFT_ALONE = [
  ...[`listen U&"d!0061t" uescape E'\\x21'`, `listen U&"d!0061t" uescape '!'\n''`],
  `listen U&"d\\0061t" uescape E'\\\\'`,
  ...['listen a; listen b', 'listen a; select 1', 'select 1; unlisten *'],
]

/** A name quoted for SQL. */
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

describe('parseListenCommand against Postgres', { skip }, () => {
  let client: pg.Client & AsyncDisposable
  const notices: Array<{ code?: string; message: string }> = []

  before(async () => {
    client = await pgClient(directUrl())
    client.on('notice', (n) => notices.push({ code: n.code, message: n.message ?? '' }))
  })
  after(async () => {
    await client[Symbol.asyncDispose]()
  })

  async function channels(): Promise<string[]> {
    const res = await client.query<{ c: string }>('select pg_listening_channels() as c order by 1')
    return res.rows.map((r) => r.c)
  }

  /** Runs `text` after a fresh `UNLISTEN *` and LISTENs of `first`; the error code, if any. */
  async function run(text: string, first: string[] = []): Promise<string | undefined> {
    await client.query('unlisten *')
    for (const name of first) await client.query(`listen ${quote(name)}`)
    notices.length = 0
    try {
      await client.query(text)
      return undefined
    } catch (err) {
      return (err as { code?: string }).code ?? 'no code'
    }
  }

  it('listens on exactly the channel the parser reports, with the same truncation notice', async () => {
    for (const text of RECOGNIZED) {
      const c = parseListenSql(text)
      assert.ok(c !== undefined, `the parser recognizes ${text}`)
      const named = c.kind === 'unlisten-all' ? undefined : c.channel
      const first = ['other', ...(named !== undefined && c.kind === 'unlisten' ? [named] : [])]
      assert.equal(await run(text, first), undefined, `Postgres runs ${text}`)
      const expected = c.kind === 'listen' ? [...new Set(['other', c.channel])].sort() : []
      if (c.kind === 'unlisten') expected.push('other')
      assert.deepEqual(await channels(), expected.sort(), text)
      const truncation = notices.filter((n) => n.code === '42622').map((n) => n.message)
      const notice = truncationNotice(c)
      assert.deepEqual(truncation, notice === undefined ? [] : [notice], `notice of ${text}`)
    }
  })

  it('refuses what the parser leaves to it', async () => {
    for (const text of REFUSED) {
      assert.equal(parseListenSql(text), undefined, `the parser leaves ${text} alone`)
      assert.notEqual(await run(text), undefined, `Postgres refuses ${text}`)
    }
  })

  it('runs the rare spellings the parser leaves to it', async () => {
    for (const text of LEFT_ALONE) {
      assert.equal(parseListenSql(text), undefined, `the parser leaves ${text} alone`)
      assert.equal(await run(text), undefined, `Postgres runs ${text}`)
    }
  })

  it("knows the server's keywords: every unreserved and col_name one is a name, no other", async () => {
    const res = await client.query<{ word: string; catcode: string }>(
      'select word, catcode from pg_get_keywords()',
    )
    const refused = res.rows.filter((r) => r.catcode === 'R' || r.catcode === 'T').map((r) => r.word)
    assert.deepEqual(
      [...NOT_COL_ID].filter((w) => !refused.includes(w) && w !== 'system_user'),
      [],
    )
    for (const { word } of res.rows) {
      const text = `listen ${word.toUpperCase()}`
      const outcome = await run(text)
      if (refused.includes(word)) {
        assert.equal(parseListenSql(text), undefined, text)
        assert.equal(outcome, '42601', text)
      } else {
        assert.equal(outcome, undefined, text)
        assert.deepEqual(parseListenSql(text), {
          kind: 'listen',
          channel: word,
          fullName: word,
          truncated: false,
        })
      }
    }
    await client.query('unlisten *')
  })
})
