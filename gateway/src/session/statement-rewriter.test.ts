import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StatementCache } from '../pool/statement-cache.js'
import { FrontendCode } from '../protocol/codes.js'
import { MessageFramer } from '../protocol/framer.js'
import { MessageWriter } from '../protocol/writer.js'
import { PreparedRegistry } from './prepared-registry.js'
import { StatementRewriter } from './statement-rewriter.js'

/** Frontend messages of a byte string as readable tokens: P(name:query) B(stmt) C(S:name) E S … */
function describeFrontend(bytes: Buffer): string[] {
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

/** Backend replies from one-letter codes: '1', '2', '3', 'C', 'Z', 'E' (an empty-bodied message each). */
function replies(codes: string): Buffer {
  const w = new MessageWriter()
  for (const c of codes) w.begin(c.charCodeAt(0)).end()
  return w.finish()
}

function filtered(rw: StatementRewriter, codes: string): string {
  const out: Buffer[] = []
  const bytes = replies(codes)
  rw.filter(bytes, 0, bytes.length, (b) => out.push(b))
  const f = new MessageFramer()
  f.push(Buffer.concat(out))
  let seen = ''
  while (f.next()) seen += String.fromCharCode(f.code)
  return seen
}

/** What a Bind of `g` becomes on a server lacking it: Close (any stale copy) + Parse, then the Bind. */
const injectedThenBound = (g: string, sql: string) => [`C(S:${g})`, `P(${g}:${sql})`, `B(${g})`, 'E', 'S']

describe('StatementRewriter', () => {
  it('prepares a client statement under its gateway-wide name, closing any stale copy first', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const rw = new StatementRewriter(registry)
    feed(rw, (w) => {
      parse(w, 'q', 'select 1')
      bind(w, 'q')
      exec(w)
      sync(w)
    })
    const cache = new StatementCache(10)
    assert.deepEqual(describeFrontend(rw.materialize(cache)), injectedThenBound(g, 'select 1'))
    assert.ok(cache.has(`${g}`))
    // The injected Close's CloseComplete is dropped; the client's ParseComplete is kept.
    assert.equal(filtered(rw, '312CZ'), '12CZ')
    rw.onReadyForQuery()
    assert.equal(rw.filtering, false)
  })

  it('injects the Parse a server lacks before a Bind, and drops its completions', () => {
    const registry = new PreparedRegistry()
    const g = `${registry.prefix}1`
    const a = new StatementRewriter(registry)
    feed(a, (w) => parse(w, 'q', 'select 2').begin(FrontendCode.Sync).end())
    a.materialize(new StatementCache(10)) // prepared on another server
    feed(a, (w) => {
      bind(w, 'q')
      exec(w)
      sync(w)
    })
    assert.equal(filtered(a, '31Z'), '1Z')
    a.onReadyForQuery()
    const fresh = new StatementCache(10)
    assert.deepEqual(describeFrontend(a.materialize(fresh)), injectedThenBound(g, 'select 2'))
    assert.equal(filtered(a, '312CZ'), '2CZ')
  })

  it('sends a client Parse of a statement the server holds under a scratch name, so the server answers it', () => {
    const registry = new PreparedRegistry()
    const cache = new StatementCache(10)
    const a = new StatementRewriter(registry)
    feed(a, (w) => parse(w, 'x', 'select 3').begin(FrontendCode.Sync).end())
    a.materialize(cache)
    const b = new StatementRewriter(registry)
    feed(b, (w) => parse(w, 'y', 'select 3').begin(FrontendCode.Sync).end())
    assert.deepEqual(describeFrontend(b.materialize(cache)), [
      'P(skiff_scratch:select 3)',
      'C(S:skiff_scratch)',
      'S',
    ])
    assert.equal(filtered(b, '13Z'), '1Z')
  })

  it('voids the Parses of a batch that failed, so their names do not exist afterwards', () => {
    const registry = new PreparedRegistry()
    const rw = new StatementRewriter(registry)
    const cache = new StatementCache(10)
    feed(rw, (w) => parse(w, 'bad', 'selec').begin(FrontendCode.Sync).end())
    rw.materialize(cache)
    let failed = ''
    rw.onParseFailed = (s) => {
      failed = s.name
      cache.delete(s.name)
    }
    assert.equal(filtered(rw, '3EZ'), 'EZ')
    rw.onReadyForQuery()
    assert.equal(failed, `${registry.prefix}1`)
    assert.equal(cache.has(`${registry.prefix}1`), false)
    assert.equal(rw.knows('bad'), false)
  })

  it('answers a lone Parse + Sync locally once a server has accepted the statement', () => {
    const registry = new PreparedRegistry()
    const a = new StatementRewriter(registry)
    feed(a, (w) => parse(w, 'q', 'select 4'))
    assert.equal(a.takeLocalPrepare(), false, 'never validated: a server must check it')
    a.materialize(new StatementCache(10))
    filtered(a, '31')
    const b = new StatementRewriter(registry)
    feed(b, (w) => parse(w, 'q', 'select 4'))
    assert.equal(b.takeLocalPrepare(), true)
    assert.equal(b.knows('q'), true)
    assert.equal(b.hasItems, false)
  })

  it('rewrites a client Close of a statement to a name no server holds', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    feed(rw, (w) => parse(w, 'q', 'select 5'))
    rw.materialize(new StatementCache(10))
    filtered(rw, '31')
    feed(rw, (w) => w.begin(FrontendCode.Close).byte(0x53).cstring('q').end().begin(FrontendCode.Sync).end())
    assert.deepEqual(describeFrontend(rw.materialize(new StatementCache(10))), ['C(S:skiff_absent)', 'S'])
    assert.equal(rw.knows('q'), false)
    assert.equal(filtered(rw, '3Z'), '3Z', "the client's own CloseComplete is kept")
  })
})

describe('StatementCache', () => {
  it('evicts the least recently used, never a protected one, and counts', () => {
    const c = new StatementCache(2)
    c.add('a', new Set())
    c.add('b', new Set())
    assert.equal(c.lookup('a'), true) // a is now newest
    assert.deepEqual(c.add('c', new Set()), ['b'])
    assert.deepEqual(c.add('d', new Set(['a', 'c'])), [])
    assert.equal(c.size, 3, 'over capacity rather than evict what the batch still uses')
    assert.equal(c.lookup('b'), false)
    assert.deepEqual([c.hits, c.misses, c.evictions], [1, 1, 1])
  })
})

describe('StatementRewriter: what Postgres refuses stays refused', () => {
  it('sends a Parse of a name already in use twice, so the server itself answers 42P05', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    let polluted = false
    rw.onServerPolluted = () => {
      polluted = true
    }
    feed(rw, (w) => parse(w, 'q', 'select 1').begin(FrontendCode.Sync).end())
    rw.materialize(new StatementCache(10))
    filtered(rw, '31Z')
    rw.onReadyForQuery()
    feed(rw, (w) => parse(w, 'q', 'select 2').begin(FrontendCode.Sync).end())
    assert.deepEqual(describeFrontend(rw.materialize(new StatementCache(10))), [
      'P(q:select 2)',
      'P(q:select 2)',
      'S',
    ])
    assert.ok(polluted, 'the connection now holds the client name and must not be reused')
    assert.equal(filtered(rw, '1EZ'), 'EZ')
  })

  it('holds a Bind whose Parse, in an earlier batch, is not confirmed yet', () => {
    const rw = new StatementRewriter(new PreparedRegistry())
    feed(rw, (w) => parse(w, 'q', 'select 1').begin(FrontendCode.Sync).end())
    const w = new MessageWriter()
    bind(w, 'q')
    const b = w.finish()
    assert.equal(rw.mustWait(FrontendCode.Bind, b, 0, b.length), true)
    rw.materialize(new StatementCache(10))
    filtered(rw, '31Z')
    assert.equal(rw.mustWait(FrontendCode.Bind, b, 0, b.length), false)
  })

  it('never lets a client name a gateway statement it did not prepare', () => {
    const registry = new PreparedRegistry()
    const rw = new StatementRewriter(registry)
    feed(rw, (w) => {
      bind(w, `${registry.prefix}1`)
      sync(w)
    })
    assert.deepEqual(describeFrontend(rw.materialize(new StatementCache(10))), ['B(skiff_absent)', 'S'])
  })
})
