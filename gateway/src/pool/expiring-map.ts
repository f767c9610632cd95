/**
 * A bounded map whose entries expire: what the relation catalog remembers of one database. Entries
 * leave first-in first-out when the map is full (not least-recently-used: every entry expires after
 * its time to live anyway, so the order of use buys little) and are dropped when read after expiry.
 * @module
 */

/** One entry and when it stops counting. */
interface Slot<V> {
  readonly value: V
  readonly expires: number
}

/** At most `capacity` entries, each for `ttlMs` after it was set. */
export class ExpiringMap<K, V> {
  private readonly slots = new Map<K, Slot<V>>()

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`an expiring map needs room for one entry, not ${capacity}`)
  }

  /** Entries held now (expired ones included until they are read or pushed out). */
  get size(): number {
    return this.slots.size
  }

  /** The value of `key`, or undefined when absent or expired. */
  get(key: K): V | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) return undefined
    if (slot.expires <= this.now()) {
      this.slots.delete(key)
      return undefined
    }
    return slot.value
  }

  /** Sets `key` for the next `ttlMs`, pushing out the oldest entry when full. */
  set(key: K, value: V): void {
    if (this.slots.has(key)) this.slots.delete(key)
    else if (this.slots.size >= this.capacity) this.slots.delete(this.slots.keys().next().value as K)
    this.slots.set(key, { value, expires: this.now() + this.ttlMs })
  }

  /** Forgets everything. */
  clear(): void {
    this.slots.clear()
  }
}
