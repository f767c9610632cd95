/**
 * The tables a write names, remembered by statement shape (issue 22, routed table versions). A
 * session bumps the versions of the tables each write it routes names (session/routed-writes.ts), so
 * every write needs its targets; keeping them per text (as `sqlCacheFacts` does for the HTTP headers)
 * misses on every call of a client that inlines its values (pgbench's TPC-B: each UPDATE has new
 * literals), and TPC-B then cost 1.4–1.5× Skiff CPU per transaction (measured with `bench:ab`).
 *
 * Targets depend only on words and quoted identifiers, never on a literal's value, so they are a fact
 * of the shape (statement-shape.ts), like the routing classification: a text whose shape was seen
 * costs one lookup. The caller passes the shape it just read (`ShapeCache.shape` right after
 * `classify` on the same bytes), so the text is not read again on a hit.
 * @module
 */
import { writtenTables } from './cache-facts.js'
import { CacheScan } from './cache-scan.js'
import { Lru } from './lru.js'
import type { StatementShape } from './statement-shape.js'

/** What is kept per shape: the rest of the shape (checked on a hit) and the targets. */
interface TargetsEntry {
  readonly hash2: number
  readonly length: number
  readonly tokens: number
  /** Qualified `schema.table` names, each once; undefined when some target is unknown. */
  readonly writes: readonly string[] | undefined
}

/** A bounded map from a write's shape to the tables it writes. */
export class WriteTargetCache {
  hits = 0
  misses = 0
  private readonly scan = new CacheScan()
  private readonly entries: Lru<number, TargetsEntry>

  /** @param maxShapes the most shapes kept (an entry is a few dozen bytes plus its names). */
  constructor(maxShapes = 4096) {
    this.entries = new Lru(maxShapes)
  }

  /**
   * The tables the write `buf[start, end)` names, qualified (cache-facts.ts), or undefined when some
   * statement's targets cannot be read (DDL, CALL, DO, EXECUTE): the whole database then counts.
   * `shape` must be the shape of exactly these bytes.
   * @example targets.of(buf, 0, buf.length, shapes.shape) // ['public.pgbench_accounts']
   */
  of(buf: Uint8Array, start: number, end: number, shape: StatementShape): readonly string[] | undefined {
    const entry = this.entries.get(shape.key)
    if (entry !== undefined && shape.sameAs(entry)) {
      this.hits++
      return entry.writes
    }
    this.misses++
    if (end > start && buf[end - 1] === 0) end--
    const writes = writtenTables(this.scan.run(buf, start, end))
    const { hash2, length, tokens } = shape
    this.entries.set(shape.key, { hash2, length, tokens, writes })
    return writes
  }
}
