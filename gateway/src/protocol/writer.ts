/**
 * A growable byte writer for building protocol messages.
 * @module
 */

/** A string given to {@link MessageWriter.cstring} holds a NUL byte, which the protocol cannot carry. */
export class EmbeddedNulError extends Error {
  override readonly name = 'EmbeddedNulError'
  constructor() {
    super('a protocol string cannot contain a NUL byte')
  }
}

/** Builds one or more messages into a single buffer; `finish()` returns the bytes written. */
export class MessageWriter {
  private buf: Buffer
  private at = 0
  private messageStart = -1

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size)
  }

  /** Starts a tagged message (type byte + length placeholder); pass 0 for an untagged packet. */
  begin(code: number): this {
    if (code !== 0) this.byte(code)
    this.messageStart = this.at
    return this.int32(0)
  }

  /** Fills in the length of the message started by `begin`. */
  end(): this {
    this.buf.writeUInt32BE(this.at - this.messageStart, this.messageStart)
    this.messageStart = -1
    return this
  }

  byte(value: number): this {
    this.ensure(1)
    this.buf[this.at++] = value
    return this
  }

  int16(value: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(value, this.at)
    this.at += 2
    return this
  }

  int32(value: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(value, this.at)
    this.at += 4
    return this
  }

  /**
   * A NUL-terminated UTF-8 string (Postgres "String"). An embedded NUL would end the string early and
   * turn the rest into further fields (a user name that smuggles in `\0user\0other`), so it throws.
   */
  cstring(value: string): this {
    if (value.includes('\0')) throw new EmbeddedNulError()
    const length = Buffer.byteLength(value)
    this.ensure(length + 1)
    this.buf.write(value, this.at, 'utf8')
    this.at += length
    this.buf[this.at++] = 0
    return this
  }

  bytes(value: Uint8Array): this {
    this.ensure(value.length)
    this.buf.set(value, this.at)
    this.at += value.length
    return this
  }

  /** The bytes written so far (a copy-free view). */
  finish(): Buffer {
    return this.buf.subarray(0, this.at)
  }

  private ensure(extra: number): void {
    if (this.at + extra <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + extra))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
}
