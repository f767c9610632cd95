/**
 * Which gateway-wide prepared statements one server connection holds: an LRU bounded by
 * `prepared_statements_cache_size`, with hit, miss and eviction counts (for SHOW SERVERS).
 * @module
 */

/** LRU of statement names prepared on one server connection. */
export class StatementCache {
  private readonly names = new Set<string>() // a Set iterates in insertion order: oldest first
  hits = 0
  misses = 0
  evictions = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.names.size
  }

  /** True when the server holds `name`; refreshes its place in the LRU. Counts a hit or a miss. */
  lookup(name: string): boolean {
    if (!this.names.has(name)) {
      this.misses++
      return false
    }
    this.hits++
    this.names.delete(name)
    this.names.add(name)
    return true
  }

  /** True when the server holds `name`, without counting or reordering. */
  has(name: string): boolean {
    return this.names.has(name)
  }

  /**
   * Records that `name` is being prepared; returns the names to Close to stay within capacity, never
   * one in `protect` (statements the batch being sent still uses).
   */
  add(name: string, protect: ReadonlySet<string>): string[] {
    this.names.delete(name)
    this.names.add(name)
    const evicted: string[] = []
    for (const old of this.names) {
      if (this.names.size <= this.capacity) break
      if (protect.has(old) || old === name) continue
      this.names.delete(old)
      evicted.push(old)
      this.evictions++
    }
    return evicted
  }

  /** Forgets everything (the server ran DEALLOCATE ALL or DISCARD ALL). */
  clear(): void {
    this.names.clear()
  }

  /** Forgets `name` (its Parse failed, so the server does not hold it). */
  delete(name: string): void {
    this.names.delete(name)
  }
}
