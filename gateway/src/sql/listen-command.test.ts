import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type ChannelCommand,
  parseListenCommand,
  parseListenSql,
  truncationNotice,
} from './listen-command.js'
import { decodeUnicodeEscapes, isUescapeChar } from './unicode-escapes.js'

/** `listen:<channel>`, `unlisten:<channel>`, `unlisten *` or `none`, to compare many cases compactly. */
function brief(text: string): string {
  const c = parseListenSql(text)
  if (c === undefined) return 'none'
  return c.kind === 'unlisten-all' ? 'unlisten *' : `${c.kind}:${c.channel}`
}

function channel(text: string): string | undefined {
  const c = parseListenSql(text)
  return c?.kind === 'listen' || c?.kind === 'unlisten' ? c.channel : undefined
}

describe('parseListenCommand: what it recognizes', () => {
  it('reads LISTEN and UNLISTEN of an unquoted name, folding ASCII letters only', () => {
    assert.equal(brief('LISTEN Orders'), 'listen:orders')
    assert.equal(brief('unlisten ORDERS'), 'unlisten:orders')
    assert.equal(brief('listen ÄbcÉ_x$1'), 'listen:ÄbcÉ_x$1', 'multibyte characters are not folded')
    assert.equal(brief('UnListen *'), 'unlisten *')
  })

  it('folds a copy: the Node Buffer of the message keeps the bytes the client sent', () => {
    const buf = Buffer.from('LISTEN Orders')
    const c = parseListenCommand(buf, 0, buf.length)
    assert.equal(c?.kind === 'listen' ? c.channel : undefined, 'orders')
    assert.equal(buf.toString(), 'LISTEN Orders')
  })

  it('keeps a quoted name exactly, with "" read as "', () => {
    assert.equal(brief('listen "MixedCase"'), 'listen:MixedCase')
    assert.equal(brief('listen "a""b"'), 'listen:a"b')
    assert.equal(
      brief('listen "with space; and -- not a comment"'),
      'listen:with space; and -- not a comment',
    )
    assert.equal(brief('listen "select"'), 'listen:select')
    assert.equal(brief('unlisten "*"'), 'unlisten:*', 'a channel named *, not UNLISTEN *')
  })

  it('decodes U&"…" names, with UESCAPE', () => {
    assert.equal(brief('listen U&"d\\0061t\\+000061"'), 'listen:data')
    assert.equal(brief('listen u&"\\D83D\\DE00!"'), 'listen:😀!', 'a surrogate pair is one character')
    assert.equal(brief(`listen U&"d!0061t" UESCAPE '!'`), 'listen:dat')
    assert.equal(brief(`listen U&"d!0061t" /* c */ uescape /* c */ '!' ;`), 'listen:dat')
    assert.equal(brief('listen U&"a\\\\b"'), 'listen:a\\b', 'the escape character doubled is itself')
    assert.equal(brief(`listen U&"d!0061t" uescape E'!'`), 'listen:dat')
    assert.equal(brief(`listen U&"d!0061t" uescape $$!$$`), 'listen:dat')
  })

  it('allows whitespace, comments and empty statements around the one statement', () => {
    assert.equal(brief('  listen a ;'), 'listen:a')
    assert.equal(brief('/* x */ listen -- y\n a /* z /* nested */ */;;  ; '), 'listen:a')
    assert.equal(brief(';listen a'), 'listen:a')
    assert.equal(brief('\n\tunlisten\n*\n;'), 'unlisten *')
  })

  it('accepts unreserved and col_name keywords as names', () => {
    for (const w of ['name', 'listen', 'int', 'between', 'json_table', 'value', 'position', 'ALL_x']) {
      assert.equal(channel(`listen ${w}`), w.toLowerCase(), w)
    }
  })

  it('reads a range of a larger buffer, and stops at a NUL as Postgres does', () => {
    const buf = Buffer.from('xxLISTEN "Q"yy')
    assert.deepEqual(parseListenCommand(buf, 2, 12), {
      kind: 'listen',
      channel: 'Q',
      fullName: 'Q',
      truncated: false,
    })
    assert.equal(brief('listen a\0garbage'), 'listen:a')
  })
})

describe('parseListenCommand: what it leaves to the server', () => {
  it('anything but exactly one LISTEN or UNLISTEN', () => {
    for (const text of ['', ';', 'select 1', 'notify a', 'listen a; select 1', 'select 1; listen a']) {
      assert.equal(brief(text), 'none', text)
    }
    for (const text of ['listen a; listen b', 'listen a b', 'listen a.b', 'listen', 'unlisten', 'listen *']) {
      assert.equal(brief(text), 'none', text)
    }
  })

  it('reserved and type_func_name keywords, unquoted', () => {
    for (const w of ['select', 'SELECT', 'join', 'user', 'table', 'verbose', 'system_user', 'all']) {
      assert.equal(brief(`listen ${w}`), 'none', w)
      assert.equal(brief(`unlisten ${w}`), 'none', w)
    }
  })

  it('names Postgres refuses: empty, unterminated, not a name', () => {
    const refused = ['listen ""', 'listen U&""', 'listen "abc', 'listen a /* open', "listen 'a'", 'listen 1a']
    refused.push('listen $1', 'listen $$a$$', "listen E'a'", 'listen (a)', 'listen a, b')
    for (const text of refused) assert.equal(brief(text), 'none', text)
  })

  it('malformed Unicode escapes and UESCAPE clauses', () => {
    const refused = ['listen U&"\\00"', 'listen U&"\\0000"', 'listen U&"\\+110000"', 'listen U&"\\xyz"']
    refused.push('listen U&"\\D83D"', 'listen U&"\\DE00"', 'listen U&"\\D83Dx"', 'listen U&"\\D83D\\0041"')
    refused.push(`listen U&"a" uescape`, `listen U&"a" uescape 'ab'`, `listen U&"a" uescape '+'`)
    refused.push(`listen U&"a" uescape 'f'`, `listen U&"a" uescape ' '`, `listen U&"a" uescape U&'!'`)
    refused.push(`listen U&"a" uescape N'!'`)
    for (const text of refused) assert.equal(brief(text), 'none', text)
  })

  it('bytes that are not UTF-8', () => {
    const buf = Buffer.concat([Buffer.from('listen "a'), Buffer.from([0xc3]), Buffer.from('"')])
    assert.equal(parseListenCommand(buf, 0, buf.length), undefined)
  })
})

describe('parseListenCommand: names longer than 63 bytes', () => {
  it('are cut to 63 bytes and flagged, with the notice Postgres sends', () => {
    const long = `A${'b'.repeat(70)}`
    const c = parseListenSql(`listen ${long}`) as ChannelCommand
    assert.equal(c.channel, long.toLowerCase().slice(0, 63))
    assert.equal(c.fullName, long.toLowerCase())
    assert.equal(c.truncated, true)
    assert.equal(truncationNotice(c), `identifier "${c.fullName}" will be truncated to "${c.channel}"`)
    assert.equal(truncationNotice(parseListenSql('listen short')!), undefined)
    assert.equal(channel(`listen "${'x'.repeat(63)}"`), 'x'.repeat(63), 'exactly 63 bytes: kept')
  })

  it('never split a multibyte character', () => {
    // 62 ASCII bytes, then a 2-byte é: byte 63 is its first half, so the cut falls before it.
    assert.equal(channel(`listen "${'x'.repeat(62)}éz"`), 'x'.repeat(62))
    assert.equal(channel(`listen "${'x'.repeat(61)}éz"`), `${'x'.repeat(61)}é`)
    assert.equal(channel(`listen U&"${'x'.repeat(61)}\\+01F600"`), 'x'.repeat(61))
  })
})

describe('unicode escapes', () => {
  it('decodes to UTF-8 bytes', () => {
    const decode = (s: string, esc = 0x5c) => {
      const out = decodeUnicodeEscapes(Buffer.from(s), esc)
      return out && Buffer.from(out).toString('utf8')
    }
    assert.equal(decode('\\00e9\\20AC\\+01F600'), 'é€😀')
    assert.equal(decode('#0041##', 0x23), 'A#')
    assert.equal(decode('\\'), undefined)
  })

  it('refuses the escape characters Postgres refuses', () => {
    for (const c of 'aF9+\'" \t') assert.equal(isUescapeChar(c.charCodeAt(0)), false, c)
    for (const c of '!#\\*g') assert.equal(isUescapeChar(c.charCodeAt(0)), true, c)
  })
})
