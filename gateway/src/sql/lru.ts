/**
 * A bounded least-recently-used map over a `Map`, whose iteration order is insertion order: the first
 * key is the one least recently set or refreshed, and refreshing is a delete and a set.
 *
 * A hit refreshes its entry only once the entry has aged by a quarter of the capacity (`age` counts
 * sets and refreshes): a hot entry is not moved on every hit, which would cost a delete and a set each
 * time, about as much as the rest of a shape-cache hit. What is lost is little: an entry hit within the
 * last three quarters of the capacity's worth of sets is never the one evicted (plain LRU: within the
 * last capacity's worth). Small enough to keep here rather than take a package for.
 * @module
 */

interface Slot<V> {
  value: V
  /** The `age` at which it was set or last refreshed. */
  stamp: number
}

/** A map of at most `capacity` entries that evicts the least recently used one. */
export class Lru<K, V> {
  /** Entries evicted to make room, since the cache was made. */
  evictions = 0
  private readonly map = new Map<K, Slot<V>>()
  /** Sets and refreshes so far: the clock that `stamp` is read on. */
  private age = 0
  private readonly refreshAfter: number

  /** @param capacity the most entries kept (at least 1). */
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`an LRU needs room for at least one entry, not ${capacity}`)
    this.refreshAfter = Math.max(1, capacity >> 2)
  }

  /** Entries now. */
  get size(): number {
    return this.map.size
  }

  /** The value of `key`, marking it used; undefined if absent. */
  get(key: K): V | undefined {
    const slot = this.map.get(key)
    if (slot === undefined) return undefined
    if (this.age - slot.stamp >= this.refreshAfter) {
      this.map.delete(key)
      this.map.set(key, slot)
      slot.stamp = ++this.age
    }
    return slot.value
  }

  /** The value of `key` without marking it used. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value
  }

  /** Sets `key` as the most recently used, evicting the least recently used entry if full. */
  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, { value, stamp: ++this.age })
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
      this.evictions++
    }
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    return this.map.delete(key)
  }

  /** Removes every entry. */
  clear(): void {
    this.map.clear()
  }

  /** Keys from the least to the most recently used (tests, SHOW). */
  keys(): IterableIterator<K> {
    return this.map.keys()
  }
}
