import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { configureLogging, type LogFormat, log, MAX_LOGGED_CHARS, setLogFormat, setLogLevel } from './log.js'

/** The lines written to stderr while `fn` runs, with stderr seen as a terminal or not; not written through. */
function written(fn: () => void, tty = false): string[] {
  const write = process.stderr.write
  const wasTty = process.stderr.isTTY
  let text = ''
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk)
    return true
  }) as typeof process.stderr.write
  process.stderr.isTTY = tty
  try {
    fn()
  } finally {
    process.stderr.write = write
    process.stderr.isTTY = wasTty
  }
  return text.split('\n').filter((line) => line !== '')
}

/** The one record logged by `fn`, parsed (format json). */
function record(fn: () => void): Record<string, unknown> {
  const lines = written(fn)
  assert.equal(lines.length, 1, lines.join('\n'))
  return JSON.parse(lines[0]!) as Record<string, unknown>
}

const ESC = String.fromCharCode(0x1b)

/** A C0 or C1 control character, or DEL. */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0)
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

afterEach(() => {
  setLogLevel('info')
  setLogFormat('auto')
})

describe('log: format', () => {
  it('not on a terminal (auto), one JSON object per line: time, level as a word, msg, the fields', () => {
    const at = new Date(0)
    const r = record(() => log.warn('server banned', { server: 'app/0', ban_ms: 60000, n: 12n, at }))
    assert.deepEqual(Object.keys(r).sort(), ['at', 'ban_ms', 'level', 'msg', 'n', 'server', 'time'])
    assert.equal(r.at, '1970-01-01T00:00:00.000Z')
    assert.equal(r.level, 'warn')
    assert.equal(r.msg, 'server banned')
    assert.equal(r.server, 'app/0')
    assert.equal(r.ban_ms, 60000)
    assert.equal(r.n, '12', 'a bigint is written as text')
    assert.ok(Math.abs(Date.parse(String(r.time)) - Date.now()) < 5000, String(r.time))
  })

  it('on a terminal (auto), or with text, one readable line: time, LEVEL, message, key=value', () => {
    for (const [format, tty] of [
      ['auto', true],
      ['text', false],
    ] as [LogFormat, boolean][]) {
      setLogFormat(format)
      const lines = written(() => log.info('client connected', { client: 3, user: 'al ice', ok: true }), tty)
      assert.equal(lines.length, 1)
      // No colour codes unless a terminal; NO_COLOR may be set where the tests run, so strip them.
      const plain = lines[0]!.replaceAll(`${ESC}[32m`, '').replaceAll(`${ESC}[0m`, '')
      assert.match(
        plain,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}client connected client=3 user="al ice" ok=true$/,
      )
      if (!tty) assert.equal(plain, lines[0])
    }
  })

  it('on a terminal the level is in colour, unless NO_COLOR is set', () => {
    const noColor = process.env.NO_COLOR
    try {
      delete process.env.NO_COLOR
      assert.ok(written(() => log.warn('w'), true)[0]!.includes(`${ESC}[33mWARN ${ESC}[0m w`))
      process.env.NO_COLOR = '1'
      assert.ok(!written(() => log.warn('w'), true)[0]!.includes(ESC))
    } finally {
      if (noColor === undefined) delete process.env.NO_COLOR
      else process.env.NO_COLOR = noColor
    }
  })

  it('json is JSON on a terminal too', () => {
    setLogFormat('json')
    const lines = written(() => log.info('x'), true)
    assert.equal(JSON.parse(lines[0]!).msg, 'x')
  })

  it('a circular or very deep value is logged up to a depth, not thrown on', () => {
    const loop: Record<string, unknown> = { name: 'loop' }
    loop.self = loop
    const r = record(() => log.info('x', { loop })) as { loop: { self: { self: unknown } } }
    assert.match(JSON.stringify(r.loop), /"\[nested too deep\]"/)
  })

  it('a field named time, level or msg cannot replace the record own', () => {
    const r = record(() => log.info('real', { msg: 'fake', level: 'error', time: 0 }))
    assert.deepEqual([r.msg, r.level, r._msg, r._level, r._time], ['real', 'info', 'fake', 'error', 0])
  })
})

describe('log: level', () => {
  it('lines below the level are not written, at and above are', () => {
    setLogLevel('warn')
    const lines = written(() => {
      log.debug('d')
      log.info('i')
      log.warn('w')
      log.error('e')
    })
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).level),
      ['warn', 'error'],
    )
    setLogLevel('debug')
    assert.equal(written(() => log.debug('d')).length, 1)
  })

  it('configureLogging takes the config, SKIFF_LOG_LEVEL and SKIFF_LOG_FORMAT win, a bad one is named', () => {
    configureLogging({ log_level: 'error', log_format: 'json' }, {})
    assert.deepEqual(
      written(() => log.warn('hidden')),
      [],
    )
    configureLogging({ log_level: 'error', log_format: 'json' }, { SKIFF_LOG_LEVEL: 'debug' })
    assert.equal(written(() => log.debug('shown')).length, 1)
    configureLogging({ log_level: 'info', log_format: 'json' }, { SKIFF_LOG_FORMAT: 'text' })
    assert.match(written(() => log.info('t'))[0]!, /Z INFO {2}t$/)
    const warned = written(() =>
      configureLogging({ log_level: 'info', log_format: 'json' }, { SKIFF_LOG_LEVEL: 'loud' }),
    )
    assert.equal(warned.length, 1)
    const r = JSON.parse(warned[0]!)
    assert.deepEqual(
      [r.msg, r.SKIFF_LOG_LEVEL],
      ['SKIFF_LOG_LEVEL is not a level; using general.log_level', 'loud'],
    )
  })
})

describe('log: what a client value can do to a line', () => {
  it(`every string is cut to ${MAX_LOGGED_CHARS} characters, the message and fields at any depth`, () => {
    const long = 'u'.repeat(5000)
    const r = record(() => log.info(long, { user: long, deep: { list: [long] } }))
    const capped = `${'u'.repeat(MAX_LOGGED_CHARS)}… (5000 chars)`
    assert.equal(r.msg, capped)
    assert.equal(r.user, capped)
    assert.deepEqual(r.deep, { list: [capped] })
  })

  it('no value starts a line: newlines stay escaped in JSON and in text, controls too in text', () => {
    const forged = 'x\n2026-01-01T00:00:00.000Z ERROR forged\r\u001b[2J\u0085'
    const json = written(() => log.info(forged, { user: forged }))
    assert.equal(json.length, 1)
    assert.equal(JSON.parse(json[0]!).user, forged)
    setLogFormat('text')
    const text = written(() => log.info(forged, { user: forged }))
    assert.equal(text.length, 1, text.join('\n'))
    assert.ok(![...text[0]!].some(isControl), text[0])
    assert.match(text[0]!, /INFO {2}x\\n2026.* ERROR forged\\r\\u001b\[2J\\u0085 user="x\\n/)
  })
})

describe('log: secrets', () => {
  const secret = `S3CRET-${process.pid}`
  it('a field named like a secret is replaced at any depth, in arrays too, in both formats', () => {
    const fields = {
      password: secret,
      admin_password: secret,
      config: { general: { auth_query_password: secret }, users: [{ name: 'a', password: secret }] },
      headers: { Authorization: `Bearer ${secret}`, 'x-api-key': secret, cookie: secret },
      api_token: secret,
      client_secret: secret,
      secretKey: 1234,
      tokens: 5,
    }
    for (const format of ['json', 'text'] as const) {
      setLogFormat(format)
      const lines = written(() => log.info('config', fields))
      assert.equal(lines.length, 1)
      assert.ok(!lines[0]!.includes(secret), lines[0])
      assert.ok(!lines[0]!.includes('1234'), 'the cancel key is a secret too')
      assert.match(lines[0]!, /tokens"?[:=]5/, 'a name that only contains "token" is kept')
      assert.match(lines[0]!, /\[redacted\]/)
    }
    setLogFormat('json')
    const r = record(() => log.info('config', fields)) as { config: { users: { name: string }[] } }
    assert.equal(r.config.users[0]!.name, 'a', 'the rest of the record is kept')
  })

  it('a password inside a connection string is replaced, in the message and in fields', () => {
    const cases = [
      `postgres://alice:${secret}@db.example:5432/app?sslmode=require`,
      `host=db user=alice password=${secret} dbname=app`,
      `host=db password='${secret} with spaces' dbname=app`,
      `postgres://alice@db/app?password=${secret}&sslmode=require`,
      `admin_password = "${secret}"`,
      // Cut before its @: the tail of the cut text may be the password.
      `postgres://alice:${secret}${'x'.repeat(1000)}@db/app`,
    ]
    for (const text of cases) {
      const line = written(() => log.warn(`could not connect: ${text}`, { url: text, nested: [text] }))[0]!
      assert.ok(!line.includes(secret), line)
      assert.ok(line.includes('[redacted]'), line)
    }
    const kept = record(() => log.info('x', { url: 'http://127.0.0.1:9930/metrics' }))
    assert.equal(kept.url, 'http://127.0.0.1:9930/metrics', 'a URL without user info is kept')
  })
})
