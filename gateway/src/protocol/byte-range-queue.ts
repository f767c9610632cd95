/**
 * A FIFO of byte ranges (views into buffers received earlier), for input that has to wait its turn.
 * Ranges are kept as they came, never copied or joined: the bytes are read later from where they lie.
 * @module
 */

const EMPTY = Buffer.alloc(0)

/**
 * Queue of `buf[start, end)` ranges. The front range is read through `buf`, `start` and `end`, and
 * consumed from its beginning with {@link ByteRangeQueue.consumeTo}.
 */
export class ByteRangeQueue {
  // Parallel arrays between `head` and their length; emptying resets them instead of shifting.
  private bufs: Buffer[] = []
  private starts: number[] = []
  private ends: number[] = []
  private head = 0
  /** Bytes queued, over all ranges. */
  bytes = 0

  /** Number of ranges queued. */
  get length(): number {
    return this.bufs.length - this.head
  }

  /** Appends `buf[start, end)`; an empty range is ignored. The caller must not change those bytes. */
  push(buf: Buffer, start: number, end: number): void {
    if (end <= start) return
    this.bufs.push(buf)
    this.starts.push(start)
    this.ends.push(end)
    this.bytes += end - start
  }

  /** Buffer of the front range (an empty buffer when the queue is empty). */
  get buf(): Buffer {
    return this.bufs[this.head] ?? EMPTY
  }

  /** Start of the front range. */
  get start(): number {
    return this.starts[this.head] ?? 0
  }

  /** End of the front range. */
  get end(): number {
    return this.ends[this.head] ?? 0
  }

  /** The front range's bytes before `at` were used: it now starts at `at`, or is removed at its end. */
  consumeTo(at: number): void {
    const h = this.head
    this.bytes -= at - this.starts[h]!
    if (at < this.ends[h]!) {
      this.starts[h] = at
      return
    }
    this.bufs[h] = EMPTY // let the buffer be collected
    this.head++
    if (this.head === this.bufs.length) this.clear()
    else if (this.head >= 64 && this.head * 2 >= this.bufs.length) this.compact()
  }

  /** Drops the consumed slots at the front (a queue that was never empty for long). */
  private compact(): void {
    this.bufs.splice(0, this.head)
    this.starts.splice(0, this.head)
    this.ends.splice(0, this.head)
    this.head = 0
  }

  /** Drops every range. */
  clear(): void {
    this.bufs.length = this.starts.length = this.ends.length = 0
    this.head = 0
    this.bytes = 0
  }
}
