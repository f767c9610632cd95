/**
 * Reads the fields of one message body without copying more than each field.
 * @module
 */

/** Raised when a message body is shorter than its fields say, or a string lacks its NUL. */
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError'
}

/** Cursor over `buf[start, end)`. */
export class MessageReader {
  constructor(
    private readonly buf: Buffer,
    public at: number,
    private readonly end: number,
  ) {}

  int32(): number {
    this.need(4)
    const v = this.buf.readInt32BE(this.at)
    this.at += 4
    return v
  }

  int16(): number {
    this.need(2)
    const v = this.buf.readInt16BE(this.at)
    this.at += 2
    return v
  }

  byte(): number {
    this.need(1)
    return this.buf[this.at++]!
  }

  /** A NUL-terminated string (Postgres "String"), decoded as UTF-8. */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.at)
    if (nul < 0 || nul >= this.end) throw new MessageFormatError('string is not NUL-terminated')
    const s = this.buf.toString('utf8', this.at, nul)
    this.at = nul + 1
    return s
  }

  bytes(n: number): Buffer {
    this.need(n)
    const b = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return b
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.at, this.end)
    this.at = this.end
    return b
  }

  get remaining(): number {
    return this.end - this.at
  }

  private need(n: number): void {
    if (this.at + n > this.end) throw new MessageFormatError('message is shorter than its fields')
  }
}
