/**
 * Sharding key locators remembered per statement shape: the first text of a shape is parsed
 * (`locateShardingKey`, about a millisecond), every later one only reads its literals
 * (`readShardingKeys`). A locator is valid for every text of its shape because the shape keeps every
 * token but the literals' values: the same statements, names, operators, signs and `$n`, and the
 * literals in the same order, so the key's value is the same literal index (or parameter) in each.
 *
 * Keyed like shape-cache.ts: a 53-bit number from both hashes, with the rest of both hashes, the
 * length and the token count checked on each hit. The key column is checked too, so one cache may
 * serve pools whose keys differ (each key learns its own locator; they evict each other).
 * @module
 */
import { Lru } from './lru.js'
import { type AstParse, type KeyLocator, locateShardingKey, type ShardingKeyColumn } from './sharding-key.js'
import type { StatementShape } from './statement-shape.js'

interface LocatorEntry {
  readonly hash2: number
  readonly length: number
  readonly tokens: number
  readonly table: string
  readonly column: string
  readonly locator: KeyLocator
}

/** How a {@link KeyLocatorCache} is sized, and the parser it uses on a miss (tests count calls). */
export interface KeyLocatorCacheOptions {
  /** The most shapes kept; default 10,000. */
  readonly maxShapes?: number
  /** Default: pgsql-ast-parser's `parse`. */
  readonly parse?: AstParse
}

/** A bounded map from statement shapes to where their sharding key values are. */
export class KeyLocatorCache {
  readonly counters = { hits: 0, misses: 0 }
  private readonly entries: Lru<number, LocatorEntry>
  private readonly parse: AstParse | undefined

  constructor(options: KeyLocatorCacheOptions = {}) {
    this.entries = new Lru(options.maxShapes ?? 10_000)
    this.parse = options.parse
  }

  /** Shapes kept now. */
  get size(): number {
    return this.entries.size
  }

  /**
   * Where `key`'s values are in the text `buf[start, end)`, whose shape `shape` was just read from
   * the same bytes (e.g. `ShapeCache.shape` right after `classify`). A hit does not parse.
   * @example const locator = cache.locate(buf, 0, buf.length, shapes.shape, { table: 'users', column: 'id' })
   */
  locate(
    buf: Uint8Array,
    start: number,
    end: number,
    shape: StatementShape,
    key: ShardingKeyColumn,
    standardConformingStrings = true,
  ): KeyLocator {
    const entry = this.entries.get(shape.key)
    if (
      entry !== undefined &&
      shape.sameAs(entry) &&
      entry.table === key.table &&
      entry.column === key.column
    ) {
      this.counters.hits++
      return entry.locator
    }
    this.counters.misses++
    const locator = locateShardingKey(buf, start, end, shape, key, standardConformingStrings, this.parse)
    // Text read without standard_conforming_strings is not parsed; do not let it decide for the shape.
    if (standardConformingStrings) {
      const { hash2, length, tokens } = shape
      this.entries.set(shape.key, { hash2, length, tokens, table: key.table, column: key.column, locator })
    }
    return locator
  }

  /** Forgets every shape (the counters stay). */
  clear(): void {
    this.entries.clear()
  }
}
