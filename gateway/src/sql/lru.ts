/**
 * A bounded least-recently-used map: a `Map` from key to slot, and the slots in a doubly linked list
 * kept in typed arrays, most recently used at the head. A hit moves its slot to the head and an
 * eviction takes the tail, each a few array writes, and a full cache reuses the evicted slot, so
 * neither allocates.
 *
 * Why not the usual `Map`-only LRU (refresh by delete and set, evict `map.keys().next()`): V8 leaves
 * deleted entries in place until the table is rebuilt, and `keys().next()` walks past every one of
 * them, so once the cache is full each eviction cost about 8 µs at 10,000 entries (measured), ten
 * times the classification it was saving. Small enough to keep here rather than take a package for.
 * @module
 */

const NONE = -1

/** A map of at most `capacity` entries that evicts the least recently used one. */
export class Lru<K, V> {
  /** Entries evicted to make room, since the map was made. */
  evictions = 0
  private readonly slots = new Map<K, number>()
  private readonly keyOf: Array<K | undefined>
  private readonly valueOf: Array<V | undefined>
  /** Neighbours in the list: `prev` towards the head (newer), `next` towards the tail (older). */
  private readonly prev: Int32Array
  private readonly next: Int32Array
  private head = NONE
  private tail = NONE
  /** Slots never used yet start here; freed slots chain through `next` from `freed`. */
  private unused = 0
  private freed = NONE

  /** @param capacity the most entries kept (at least 1). */
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`an LRU needs room for at least one entry, not ${capacity}`)
    this.keyOf = new Array<K | undefined>(capacity)
    this.valueOf = new Array<V | undefined>(capacity)
    this.prev = new Int32Array(capacity)
    this.next = new Int32Array(capacity)
  }

  /** Entries now. */
  get size(): number {
    return this.slots.size
  }

  /** The value of `key`, marking it the most recently used; undefined if absent. */
  get(key: K): V | undefined {
    const i = this.slots.get(key)
    if (i === undefined) return undefined
    if (i !== this.head) {
      this.unlink(i)
      this.pushHead(i)
    }
    return this.valueOf[i]
  }

  /** The value of `key` without marking it used. */
  peek(key: K): V | undefined {
    const i = this.slots.get(key)
    return i === undefined ? undefined : this.valueOf[i]
  }

  /** Sets `key` as the most recently used, evicting the least recently used entry if full. */
  set(key: K, value: V): void {
    let i = this.slots.get(key)
    if (i !== undefined) {
      this.unlink(i)
    } else {
      i = this.freeSlot()
      this.keyOf[i] = key
      this.slots.set(key, i)
    }
    this.valueOf[i] = value
    this.pushHead(i)
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    const i = this.slots.get(key)
    if (i === undefined) return false
    this.slots.delete(key)
    this.unlink(i)
    this.release(i)
    return true
  }

  /** Removes every entry. */
  clear(): void {
    for (const i of this.slots.values()) this.release(i)
    this.slots.clear()
    this.head = this.tail = NONE
  }

  /** Keys from the least to the most recently used (tests, SHOW). */
  *keys(): IterableIterator<K> {
    for (let i = this.tail; i !== NONE; i = this.prev[i]!) yield this.keyOf[i]!
  }

  /** A slot for a new entry: never used, freed, or the least recently used one's, evicted. */
  private freeSlot(): number {
    if (this.freed !== NONE) {
      const i = this.freed
      this.freed = this.next[i]!
      return i
    }
    if (this.unused < this.capacity) return this.unused++
    const i = this.tail
    this.slots.delete(this.keyOf[i]!)
    this.unlink(i)
    this.evictions++
    return i
  }

  /** Drops a slot's references, so the values it held can be collected, and chains it as free. */
  private release(i: number): void {
    this.keyOf[i] = undefined
    this.valueOf[i] = undefined
    this.next[i] = this.freed
    this.freed = i
  }

  private unlink(i: number): void {
    const p = this.prev[i]!
    const n = this.next[i]!
    if (p === NONE) this.head = n
    else this.next[p] = n
    if (n === NONE) this.tail = p
    else this.prev[n] = p
  }

  private pushHead(i: number): void {
    this.prev[i] = NONE
    this.next[i] = this.head
    if (this.head === NONE) this.tail = i
    else this.prev[this.head] = i
    this.head = i
  }
}
