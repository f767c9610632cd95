import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Outgoing } from '../pool/server-conn.js'
import { StatementCache } from '../pool/statement-cache.js'
import { BackendCode, FrontendCode } from '../protocol/codes.js'
import { MessageFramer } from '../protocol/framer.js'
import { OutstandingRequests } from '../protocol/outstanding.js'
import { MessageWriter } from '../protocol/writer.js'
import { PreparedRegistry } from './prepared-registry.js'
import { StatementRewriter } from './statement-rewriter.js'

/** Frontend messages of a byte string as readable tokens: P(name:query) B(stmt) C(S:name) E S … */
function tokens(bytes: Buffer): string[] {
  const f = new MessageFramer()
  f.push(bytes)
  const out: string[] = []
  while (f.next()) {
    const body = f.buffer.subarray(f.start + 5, f.end)
    const strings = body.toString('latin1').split('\0')
    const code = String.fromCharCode(f.code)
    if (code === 'P') out.push(`P(${strings[0]}:${strings[1]})`)
    else if (code === 'B') out.push(`B(${strings[1]})`)
    else if (code === 'C' || code === 'D')
      out.push(`${code}(${strings[0]!.slice(0, 1)}:${strings[0]!.slice(1)})`)
    else out.push(code)
  }
  return out
}

/**
 * The server side of one connection, in memory: the real reply model records what the rewriter sends;
 * `reply` feeds backend messages and returns the codes the client would receive.
 */
class FakeServer {
  readonly cache = new StatementCache(10)
  readonly model = new OutstandingRequests<string>()
  sent: string[] = []

  send(parts: Outgoing[]): string[] {
    const sent: string[] = []
    for (const part of parts) {
      const bytes = Buffer.isBuffer(part) ? part : part.bytes
      for (let at = 0; at < bytes.length; at += 1 + bytes.readUInt32BE(at + 1)) {
        if (Buffer.isBuffer(part)) this.model.push(bytes[at]!, 'client')
        else this.model.push(bytes[at]!, 'client', part.action)
      }
      sent.push(...tokens(bytes))
    }
    this.sent.push(...sent)
    return sent
  }

  /** Replies by one-letter codes; 'T:x' stands for a RowDescription of one text column named x. */
  reply(...codes: string[]): string {
    let seen = ''
    for (const c of codes) {
      const bytes = c.startsWith('T:') ? rowDescription(c.slice(2)) : message(c)
      this.model.reply(bytes[0]!, bytes, 0, bytes.length)
      const a = this.model.action
      const isError = bytes[0] === BackendCode.ErrorResponse
      if (a !== undefined && isError && a.replaceError !== undefined) seen += '!'
      else if (a === undefined || !a.drop || isError) seen += c[0]
    }
    return seen
  }
}

function message(code: string): Buffer {
  return new MessageWriter().begin(code.charCodeAt(0)).end().finish()
}

/** A RowDescription of one column `name` of type text (or int4 for a name ending in '#'). */
function rowDescription(name: string): Buffer {
  const type = name.endsWith('#') ? 23 : 25
  const w = new MessageWriter().begin(BackendCode.RowDescription).int16(1).cstring(name)
  return w.int32(0).int16(0).int32(type).int16(-1).int32(-1).int16(0).end().finish()
}

function feed(rw: StatementRewriter, build: (w: MessageWriter) => void): void {
  const w = new MessageWriter()
  build(w)
  const f = new MessageFramer()
  f.push(w.finish())
  while (f.next()) rw.accept(f.code, f.buffer, f.start, f.end)
}

const parse = (w: MessageWriter, name: string, sql: string) =>
  w.begin(FrontendCode.Parse).cstring(name).cstring(sql).int16(0).end()
const bind = (w: MessageWriter, stmt: string) =>
  w.begin(FrontendCode.Bind).cstring('').cstring(stmt).int16(0).int16(0).int16(0).end()
const exec = (w: MessageWriter) => w.begin(FrontendCode.Execute).cstring('').int32(0).end()
const sync = (w: MessageWriter) => w.begin(FrontendCode.Sync).end()

/** What the rewriter injects to prepare `g`: Close any stale copy, Parse, Describe (for its shape). */
const prepared = (g: string, sql: string) => [`C(S:${g})`, `P(${g}:${sql})`, `D(S:${g})`]

function send(rw: StatementRewriter, server: FakeServer): string[] {
  const run = rw.takeRun()
  if (run !== undefined) return server.send([run])
  return server.send(rw.materialize(server.cache, server.model.skippingToSync))
}

describe('StatementRewriter: statements follow the client', () => {
  it("a client Parse is parsed on the server; only the client's ParseComplete reaches it", () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const rw = new StatementRewriter(registry)
    const server = new FakeServer()
    feed(rw, (w) => {
      parse(w, 'q', 'select 1')
      bind(w, 'q')
      exec(w)
      sync(w)
    })
    assert.deepEqual(send(rw, server), [...prepared(g, 'select 1'), `B(${g})`, 'E', 'S'])
    assert.equal(server.reply('3', '1', 't', 'T:a', '2', 'C', 'Z'), '12CZ')
    assert.equal(server.model.atReady, true)
    assert.ok(server.cache.has(g))
  })

  it('a statement a server lacks is prepared there before the Bind, its completions dropped', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const rw = new StatementRewriter(registry)
    const first = new FakeServer()
    feed(rw, (w) => parse(w, 'q', 'select 2').begin(FrontendCode.Sync).end())
    send(rw, first)
    first.reply('3', '1', 't', 'T:a', 'Z')
    feed(rw, (w) => {
      bind(w, 'q')
      exec(w)
      sync(w)
    })
    const other = new FakeServer()
    assert.deepEqual(send(rw, other), [...prepared(g, 'select 2'), 'H'], 'held until the shape is known')
    let resumed = false
    rw.onResume = () => {
      resumed = true
    }
    assert.equal(other.reply('3', '1', 't', 'T:a'), '')
    assert.ok(resumed)
    assert.deepEqual(send(rw, other), [`B(${g})`, 'E', 'S'])
    assert.equal(other.reply('2', 'C', 'Z'), '2CZ')
  })

  it('a client Parse of a statement the server holds parses it anew (a schema change takes effect)', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const server = new FakeServer()
    const a = new StatementRewriter(registry)
    feed(a, (w) => parse(w, 'x', 'select c from t').begin(FrontendCode.Sync).end())
    send(a, server)
    server.reply('3', '1', 't', 'T:c', 'Z')
    const b = new StatementRewriter(registry)
    feed(b, (w) => parse(w, 'y', 'select c from t').begin(FrontendCode.Sync).end())
    assert.deepEqual(send(b, server), [...prepared(g, 'select c from t'), 'S'])
    assert.equal(server.reply('3', '1', 't', 'T:c#', 'Z'), '1Z')
  })

  it("a client whose statement has another shape than the server's copy gets 0A000, not other rows", () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const server = new FakeServer()
    const old = new StatementRewriter(registry)
    feed(old, (w) => parse(w, 'x', 'select c from t').begin(FrontendCode.Sync).end())
    send(old, server)
    server.reply('3', '1', 't', 'T:c', 'Z') // c was text then
    const fresh = new StatementRewriter(registry)
    feed(fresh, (w) => parse(w, 'y', 'select c from t').begin(FrontendCode.Sync).end())
    send(fresh, server)
    server.reply('3', '1', 't', 'T:c#', 'Z') // after ALTER TABLE: int4
    feed(old, (w) => {
      bind(w, 'x')
      exec(w)
      sync(w)
    })
    assert.deepEqual(send(old, server), ['D(S:skiff_absent)', 'E', 'S'])
    assert.equal(server.reply('E', 'Z'), '!Z', "the server's 26000 becomes Postgres's 0A000")
    feed(fresh, (w) => {
      bind(w, 'y')
      exec(w)
      sync(w)
    })
    assert.deepEqual(send(fresh, server), [`B(${g})`, 'E', 'S'])
  })

  it("a 0A000 from the server evicts that server's copy; the next use prepares it anew", () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const server = new FakeServer()
    const rw = new StatementRewriter(registry)
    feed(rw, (w) => parse(w, 'q', 'select c from t').begin(FrontendCode.Sync).end())
    send(rw, server)
    server.reply('3', '1', 't', 'T:c', 'Z')
    feed(rw, (w) => {
      bind(w, 'q')
      sync(w)
    })
    send(rw, server)
    const error = new MessageWriter().begin(BackendCode.ErrorResponse).byte(0x43).cstring('0A000').byte(0)
    const bytes = error.end().finish()
    server.model.reply(bytes[0]!, bytes, 0, bytes.length)
    assert.equal(server.cache.has(g), false)
  })

  it('a failed Parse forgets the client name and the copy', () => {
    const registry = new PreparedRegistry()
    const rw = new StatementRewriter(registry)
    const server = new FakeServer()
    feed(rw, (w) => parse(w, 'bad', 'selec').begin(FrontendCode.Sync).end())
    send(rw, server)
    assert.equal(server.reply('3', 'E', 'Z'), 'EZ')
    assert.equal(server.cache.has(`${registry.prefix}1`), false)
    assert.equal(rw.knows('bad'), false)
  })

  it('a lone Parse + Sync is answered locally once a server accepted it; its first use parses anew', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const server = new FakeServer()
    const a = new StatementRewriter(registry)
    feed(a, (w) => parse(w, 'q', 'select 4'))
    assert.equal(a.takeLocalPrepare(), false, 'never validated: a server must check it')
    send(a, server)
    server.reply('3', '1', 't', 'T:x')
    const b = new StatementRewriter(registry)
    feed(b, (w) => parse(w, 'q', 'select 4'))
    assert.equal(b.takeLocalPrepare(), true)
    assert.equal(b.knows('q'), true)
    feed(b, (w) => {
      bind(w, 'q')
      sync(w)
    })
    assert.deepEqual(send(b, server), [...prepared(g, 'select 4'), `B(${g})`, 'S'])
  })

  it('a client Close of a statement becomes a Close of a name no server holds', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    const server = new FakeServer()
    feed(rw, (w) => parse(w, 'q', 'select 5'))
    send(rw, server)
    feed(rw, (w) => w.begin(FrontendCode.Close).byte(0x53).cstring('q').end().begin(FrontendCode.Sync).end())
    assert.deepEqual(send(rw, server), ['C(S:skiff_absent)', 'S'])
    assert.equal(rw.knows('q'), false)
    assert.equal(server.reply('3', '1', 't', 'T:x', '3', 'Z'), '13Z', "the client's own completions are kept")
  })
})

describe('StatementCache', () => {
  it('evicts the least recently used, never a protected one, and counts', () => {
    const c = new StatementCache(2)
    c.add('a', new Set())
    c.add('b', new Set())
    assert.ok(c.lookup('a')) // a is now newest
    assert.deepEqual(c.add('c', new Set()).evicted, ['b'])
    assert.deepEqual(c.add('d', new Set(['a', 'c'])).evicted, [])
    assert.equal(c.size, 3, 'over capacity rather than evict what the batch still uses')
    assert.equal(c.lookup('b'), undefined)
    assert.deepEqual([c.hits, c.misses, c.evictions], [1, 1, 1])
  })
})

describe('StatementRewriter: what Postgres refuses stays refused', () => {
  it('sends a Parse of a name already in use twice, so the server itself answers 42P05', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    const server = new FakeServer()
    let polluted = false
    rw.onServerPolluted = () => {
      polluted = true
    }
    feed(rw, (w) => parse(w, 'q', 'select 1').begin(FrontendCode.Sync).end())
    send(rw, server)
    server.reply('3', '1', 't', 'T:x', 'Z')
    feed(rw, (w) => parse(w, 'q', 'select 2').begin(FrontendCode.Sync).end())
    assert.deepEqual(send(rw, server), ['P(q:select 2)', 'P(q:select 2)', 'S'])
    assert.ok(polluted, 'the connection now holds the client name and must not be reused')
    assert.equal(server.reply('1', 'E', 'Z'), 'EZ')
  })

  it('holds a Bind whose Parse, in an earlier batch, is not confirmed yet', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    const server = new FakeServer()
    feed(rw, (w) => parse(w, 'q', 'select 1').begin(FrontendCode.Sync).end())
    const w = new MessageWriter()
    bind(w, 'q')
    const b = w.finish()
    assert.equal(rw.mustWait(FrontendCode.Bind, b, 0, b.length), true)
    send(rw, server)
    server.reply('3', '1')
    assert.equal(rw.mustWait(FrontendCode.Bind, b, 0, b.length), false)
  })

  it('never lets a client name a gateway statement it did not prepare', () => {
    const registry = new PreparedRegistry()
    const rw = new StatementRewriter(registry)
    feed(rw, (w) => {
      bind(w, `${registry.prefix}1`)
      sync(w)
    })
    assert.deepEqual(send(rw, new FakeServer()), ['B(skiff_absent)', 'S'])
  })

  it('after an error mid-batch, held messages go out unprepared up to the Sync', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const rw = new StatementRewriter(registry)
    const first = new FakeServer()
    feed(rw, (w) => parse(w, 'q', 'select 6').begin(FrontendCode.Sync).end())
    send(rw, first)
    first.reply('3', '1', 't', 'T:x', 'Z')
    const other = new FakeServer()
    feed(rw, (w) => {
      w.begin(FrontendCode.Parse).cstring('').cstring('selec').int16(0).end()
      bind(w, 'q')
      exec(w)
      sync(w)
    })
    assert.deepEqual(send(rw, other), ['P(:selec)', ...prepared(g, 'select 6'), 'H'])
    assert.equal(other.reply('E'), 'E')
    assert.equal(other.model.skippingToSync, true)
    assert.deepEqual(send(rw, other), [`B(${g})`, 'E', 'S'])
    assert.equal(other.reply('Z'), 'Z')
  })
})
