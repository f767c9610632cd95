import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import type { TextRows } from './internal-query.js'
import { RelationCatalog } from './relation-catalog.js'
import { parseCatalogRows, regclassText } from './relation-catalog-sql.js'
import { TableVersions } from './table-versions.js'
import type { UserPool } from './user-pool.js'

const pool = (username = 'u') => ({ database: 'db', username, name: `db/${username}` }) as UserPool

interface Doc {
  relations?: Array<Record<string, unknown>>
  functions?: Array<{ name: string; unsafe: boolean | null }>
}
/** The relation names a catalog query asks about (the first array literal). */
const namesIn = (sql: string) =>
  [...(sql.match(/array\[([^\]]*)\]/)?.[1] ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]!)

const answer = (doc: Doc): TextRows => [[JSON.stringify({ relations: [], functions: [], ...doc })]]

/** A runner answering from `known` (relation name → its row) and counting the queries' names. */
function fakeRunner(known: Record<string, Record<string, unknown>>, unsafe: Record<string, boolean> = {}) {
  const asked: string[][] = []
  const run = async (_pool: UserPool, sql: string): Promise<TextRows> => {
    const names = [...sql.matchAll(/'([^']*)'/g)].map((m) => m[1]!)
    asked.push(names)
    return answer({
      relations: Object.entries(known)
        .filter(([n]) => names.includes(n))
        .map(([name, r]) => ({ name, ...r })),
      functions: Object.entries(unsafe)
        .filter(([n]) => names.includes(n))
        .map(([name, u]) => ({ name, unsafe: u })),
    })
  }
  return { run, asked }
}

describe('relation catalog: the query text and its answer', () => {
  it('quotes each part of a name exactly', () => {
    assert.equal(regclassText('t'), '"t"')
    assert.equal(regclassText('App.My"T'), '"App"."My""T"')
  })

  it('reads the one JSON row; nulls become empty', () => {
    const rows = parseCatalogRows(
      answer({
        relations: [
          {
            name: 'v',
            kind: 'v',
            resolved: 'public.v',
            bases: ['public.t'],
            unsafe: null,
            definitions: ['x'],
          },
          { name: 'nope', kind: null, resolved: null, bases: null, unsafe: null, definitions: null },
        ],
        functions: [
          { name: 'f', unsafe: true },
          { name: 'g', unsafe: null },
        ],
      }),
    )
    assert.deepEqual(rows.relations.get('v'), {
      resolved: 'public.v',
      kind: 'v',
      bases: ['public.t'],
      unsafe: false,
      definitions: ['x'],
    })
    assert.equal(rows.relations.get('nope')?.resolved, undefined)
    assert.deepEqual(
      [...rows.functions],
      [
        ['f', true],
        ['g', false],
      ],
    )
    assert.throws(() => parseCatalogRows([]), /0 rows/)
  })
})

describe('relation catalog: remembering', () => {
  const view = { kind: 'v', resolved: 'public.v', bases: ['public.t'], unsafe: false, definitions: [] }

  it('asks once for all unknown names, then answers from memory', async () => {
    const versions = new TableVersions(() => 1)
    const { run, asked } = fakeRunner({ v: view, t: { kind: 'r', resolved: 'app.t' } }, { f: true })
    const catalog = new RelationCatalog(versions, run)
    const first = await catalog.lookup(pool(), ['v', 't'], ['f'])
    assert.equal(asked.length, 1)
    assert.deepEqual(first.relations.get('v')?.bases, ['public.t'])
    assert.equal(first.relations.get('t')?.resolved, 'app.t')
    assert.equal(first.functions.get('f'), true)
    const again = await catalog.lookup(pool(), ['v', 't'], ['f'])
    assert.equal(asked.length, 1, 'no second query')
    assert.deepEqual(again, first)
    await catalog.lookup(pool('other'), ['t', 'public.v'], [])
    assert.deepEqual(asked[1]!.slice(0, 2), ['t', 'public.v'], 'an unqualified name is per user')
    assert.deepEqual(versions.expansion('db', 'public.v'), ['public.t'], 'reads fill the expansions')
    assert.deepEqual(versions.expansion('db', 'public.t'), ['app.t'])
  })

  it('expires after the time to live and forgets a database at bumpAll', async () => {
    const versions = new TableVersions(() => 1)
    const { run, asked } = fakeRunner({ v: view })
    const catalog = new RelationCatalog(versions, run, 0).attach()
    await catalog.lookup(pool(), ['v'], [])
    await catalog.lookup(pool(), ['v'], [])
    assert.equal(asked.length, 2, 'a TTL of 0 keeps nothing')
    const kept = new RelationCatalog(versions, run).attach()
    await kept.lookup(pool(), ['v'], [])
    versions.bumpAll('db')
    await kept.lookup(pool(), ['v'], [])
    assert.equal(asked.length, 4, 'asked again after DDL')
  })

  it('a name another read is asking about waits for that answer (one query)', async () => {
    const { run, asked } = fakeRunner({ v: view })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const catalog = new RelationCatalog(new TableVersions(), async (p, sql) => {
      await gate
      return run(p, sql)
    })
    const reads = [1, 2, 3].map(() => catalog.lookup(pool(), ['v'], []))
    release()
    const answers = await Promise.all(reads)
    assert.equal(asked.length, 1)
    for (const a of answers) assert.deepEqual(a.relations.get('v')?.bases, ['public.t'])
  })

  it('rejects when Postgres cannot answer', async () => {
    const catalog = new RelationCatalog(new TableVersions(), async () => {
      throw new Error('server down')
    })
    await assert.rejects(catalog.lookup(pool(), ['v', 'w'], ['f']), /server down/)
    await tick() // an unhandled rejection of the names not awaited would fail the test here
  })
})

describe('relation catalog: routed writes', () => {
  it('looks up a written name with no expansion and bumps its bases when Postgres answers', async () => {
    const versions = new TableVersions(() => 1)
    const { run, asked } = fakeRunner({
      'public.w': { kind: 'v', resolved: 'public.w', bases: ['public.base'] },
      w: { kind: 'v', resolved: 'public.w', bases: ['public.base'] },
    })
    const catalog = new RelationCatalog(versions, run).attach()
    const write = versions.bump('db', ['public.w'])
    assert.equal(asked.length, 0, 'no HTTP read of the database yet: nothing cached to invalidate')
    assert.equal(versions.version('db', 'public.base'), versions.base)
    await catalog.lookup(pool(), [], ['x'])
    const second = versions.bump('db', ['public.w'])
    assert.ok(second > write)
    await tick()
    await tick()
    assert.deepEqual(asked.at(-1)?.slice(0, 2), ['public.w', 'w'], 'both as written and unqualified')
    assert.ok(versions.version('db', 'public.base') > second, 'bumped a moment later')
    const third = versions.bump('db', ['public.w'])
    assert.equal(versions.version('db', 'public.base'), third, 'now expanded at once')
  })

  it('one lookup per database at a time: names written meanwhile go together in the next', async () => {
    const versions = new TableVersions(() => 1)
    const asked: string[][] = []
    const pending: Array<() => void> = []
    const catalog = new RelationCatalog(versions, (_pool, sql) => {
      asked.push(namesIn(sql))
      return new Promise((resolve) => pending.push(() => resolve(answer({}))))
    }).attach()
    const read = catalog.lookup(pool(), [], ['x'])
    pending.shift()!()
    await read
    versions.bump('db', ['s.a'])
    versions.bump('db', ['s.b'])
    versions.bump('db', ['s.c', 's.a'])
    assert.equal(asked.length, 2, 'one in flight')
    pending.shift()!()
    await tick()
    await tick()
    assert.deepEqual(asked[2], ['s.b', 's.c'], 'the rest together')
    pending.shift()!()
    await tick()
    await tick()
    versions.bump('db', ['s.a', 's.b', 's.c'])
    assert.equal(asked.length, 3, 'all known now')
  })

  it('a failed lookup bumps the whole database', async () => {
    const versions = new TableVersions(() => 1)
    let fail = false
    const { run } = fakeRunner({})
    const catalog = new RelationCatalog(versions, async (p, sql) => {
      if (fail) throw new Error('timeout')
      return run(p, sql)
    }).attach()
    await catalog.lookup(pool(), [], ['x'])
    fail = true
    const write = versions.bump('db', ['public.w'])
    await tick()
    await tick()
    assert.ok(versions.version('db', 'public.never') > write)
  })
})
