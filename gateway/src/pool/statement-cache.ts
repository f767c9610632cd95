/**
 * Which gateway-wide prepared statements one server connection holds: an LRU bounded by
 * `prepared_statements_cache_size`, with hit, miss and eviction counts (for SHOW SERVERS). Each entry is
 * the copy prepared on this server, with the result shape the server gave it, so a client whose own
 * statement has another shape is not silently handed rows of a different type.
 * @module
 */
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import type { ReplyAction } from '../protocol/outstanding.js'

/** "cached plan must not change result type": the server's copy can never be used again. */
const CACHED_PLAN_CHANGED = '0A000'

/**
 * One statement as prepared on one server connection. It is also the reply action of every Bind and
 * Describe that uses it: a `0A000` answer means the server's copy is stale for good, so it leaves the
 * cache and the next use prepares it anew.
 */
export class PreparedCopy implements ReplyAction {
  readonly drop = false
  /** Result shape from the Describe sent after its Parse (see rowShape); unset until that reply. */
  shape?: string

  constructor(
    readonly name: string,
    private readonly cache: StatementCache,
  ) {}

  onReply(code: number, buf: Buffer, start: number, end: number): void {
    if (code !== BackendCode.ErrorResponse) return
    if (parseErrorFields(buf, start, end).get('C') === CACHED_PLAN_CHANGED) this.cache.delete(this)
  }
}

/** LRU of the statements prepared on one server connection. */
export class StatementCache {
  private readonly copies = new Map<string, PreparedCopy>() // a Map iterates in insertion order: oldest first
  hits = 0
  misses = 0
  evictions = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.copies.size
  }

  /** The server's copy of `name`, refreshing its place in the LRU; counts a hit or a miss. */
  lookup(name: string): PreparedCopy | undefined {
    const copy = this.copies.get(name)
    if (copy === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.copies.delete(name)
    this.copies.set(name, copy)
    return copy
  }

  /** True when the server holds `name`, without counting or reordering. */
  has(name: string): boolean {
    return this.copies.has(name)
  }

  /**
   * Records that `name` is being prepared and returns its new copy, with the names to Close to stay
   * within capacity, never one in `protect` (statements the batch being sent still uses).
   */
  add(name: string, protect: ReadonlySet<string>): { copy: PreparedCopy; evicted: string[] } {
    const copy = new PreparedCopy(name, this)
    this.copies.delete(name)
    this.copies.set(name, copy)
    const evicted: string[] = []
    for (const old of this.copies.keys()) {
      if (this.copies.size <= this.capacity) break
      if (protect.has(old) || old === name) continue
      this.copies.delete(old)
      evicted.push(old)
      this.evictions++
    }
    return { copy, evicted }
  }

  /** Forgets everything (the server ran DEALLOCATE ALL or DISCARD ALL). */
  clear(): void {
    this.copies.clear()
  }

  /** Forgets `copy` (its Parse failed, or the server called it stale), unless a newer copy replaced it. */
  delete(copy: PreparedCopy): void {
    if (this.copies.get(copy.name) === copy) this.copies.delete(copy.name)
  }
}
