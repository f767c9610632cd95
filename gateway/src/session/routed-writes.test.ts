import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { tableVersions } from '../pool/table-versions.js'
import type { UserPool } from '../pool/user-pool.js'
import { serializeClose } from '../protocol/extended.js'
import { RoutedWrites } from './routed-writes.js'

const pool = { tableVersions: 'routed', database: 'rw_unit' } as unknown as UserPool

/** A Parse message of `text` under `name`. */
function parse(name: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from(`${name}\0${text}\0`), Buffer.from([0, 0])])
  const head = Buffer.alloc(5)
  head[0] = 0x50
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

/** A Bind of statement `name` to the unnamed portal, no parameters. */
function bind(name: string): Buffer {
  const body = Buffer.concat([Buffer.from(`\0${name}\0`), Buffer.from([0, 0, 0, 0, 0, 0])])
  const head = Buffer.alloc(5)
  head[0] = 0x42
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

const note = (w: RoutedWrites, m: Buffer) => w.note(pool, m[0]!, m, 0, m.length)

describe('routed writes: named statements', () => {
  it('a Bind of a named write in a later transaction bumps its table; after Close it is forgotten', () => {
    const w = new RoutedWrites()
    note(w, parse('s1', 'update rw_t set a = $1'))
    w.ended(pool)
    assert.equal(w.namedWrites, 1)
    const before = tableVersions.version('rw_unit', 'public.rw_t')
    note(w, bind('s1'))
    w.ended(pool)
    const bound = tableVersions.version('rw_unit', 'public.rw_t')
    assert.ok(bound > before)
    note(w, serializeClose(0x53, 's1'))
    assert.equal(w.namedWrites, 0)
    note(w, bind('s1'))
    w.ended(pool)
    assert.equal(tableVersions.version('rw_unit', 'public.rw_t'), bound, 'a closed name bumps nothing')
  })

  it('a Close of a portal or of another name leaves the statement', () => {
    const w = new RoutedWrites()
    note(w, parse('s2', 'insert into rw_t values (1)'))
    note(w, serializeClose(0x50, 's2'))
    note(w, serializeClose(0x53, 'other'))
    assert.equal(w.namedWrites, 1)
  })

  it('a DEALLOCATE carried out forgets the name, DEALLOCATE ALL and DISCARD ALL every name; other queries none', () => {
    const query = (text: string) => {
      const body = Buffer.from(`${text}\0`)
      const head = Buffer.alloc(5)
      head[0] = 0x51
      head.writeInt32BE(body.length + 4, 1)
      return Buffer.concat([head, body])
    }
    const deallocated = (w: RoutedWrites, text: string) => {
      const m = query(text)
      w.deallocated(m, 0, m.length)
    }
    const w = new RoutedWrites()
    note(w, parse('a1', 'insert into rw_t values ($1)'))
    note(w, parse('A2', 'delete from rw_t'))
    note(w, parse('a3', 'update rw_t set a = 1'))
    deallocated(w, 'select 1')
    deallocated(w, 'deallocate a9')
    assert.equal(w.namedWrites, 3)
    deallocated(w, '  DEALLOCATE PREPARE A1;')
    assert.equal(w.namedWrites, 2, 'an unquoted name folds to lower case')
    deallocated(w, 'deallocate "A2"')
    assert.equal(w.namedWrites, 1)
    deallocated(w, 'deallocate all')
    assert.equal(w.namedWrites, 0)
    note(w, parse('a4', 'insert into rw_t values (4)'))
    deallocated(w, 'discard temp')
    assert.equal(w.namedWrites, 1)
    deallocated(w, 'DISCARD ALL;')
    assert.equal(w.namedWrites, 0, 'DISCARD ALL deallocates every statement')
  })
})
