/**
 * Output assembled from views of received buffers. Views that follow each other in the same buffer
 * are handed on as one, so forwarding a run of messages (rows, mostly) costs one callback and one
 * `subarray`, not one per message.
 * @module
 */

const EMPTY: Buffer = Buffer.alloc(0)

/** Collects output ranges and hands them to `onOutput`, joined while contiguous, at each `flush`. */
export class OutputRun {
  private buf: Buffer = EMPTY
  private start = 0
  private end = 0

  constructor(private readonly onOutput: (bytes: Buffer) => void) {}

  /** Appends `buf[start, end)`: joined to the pending range when it continues it, else after it. */
  add(buf: Buffer, start: number, end: number): void {
    if (buf === this.buf && start === this.end) {
      this.end = end
      return
    }
    this.flush()
    this.buf = buf
    this.start = start
    this.end = end
  }

  /** Hands the pending range (if any) to `onOutput`. */
  flush(): void {
    if (this.end > this.start) this.onOutput(this.buf.subarray(this.start, this.end))
    this.buf = EMPTY
    this.start = this.end = 0
  }
}
