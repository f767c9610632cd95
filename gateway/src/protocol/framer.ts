/**
 * Splits a byte stream into Postgres messages without copying them.
 *
 * Every message but the first one a client sends is a type byte followed by an int32 length that counts
 * itself but not the type byte; the startup packet has no type byte. The framer walks those headers and
 * exposes each complete message as offsets into its current buffer, so the caller can forward runs of
 * messages as one `subarray` and decode only the few it must.
 * @see https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
 * @module
 */

/** Postgres's limit for the startup packet (MAX_STARTUP_PACKET_LENGTH in libpq-be). */
export const MAX_STARTUP_PACKET_LENGTH = 10000
/** Postgres's limit for any other message (PQ_LARGE_MESSAGE_LIMIT in libpq.h). */
export const MAX_MESSAGE_LENGTH = 0x3fffffff
/**
 * Postgres's limit for any message before login (PG_MAX_AUTH_TOKEN_LENGTH), which pq_getmessage
 * compares with the length field itself (the field counts its own four bytes).
 */
export const MAX_AUTH_MESSAGE_LENGTH = 65535

const EMPTY = Buffer.alloc(0)

/** Raised when a length header cannot be valid; the stream cannot be resynchronized after it. */
export class FramingError extends Error {
  override readonly name = 'FramingError'
  /** The length field was above the limit (rather than garbage). */
  tooLong = false
}

/**
 * Incremental framer. Usage: `push(chunk)`, then `while (framer.next()) { use code/start/end }`.
 * After `next()` returns false, the unconsumed tail is kept for the next `push`.
 */
export class MessageFramer {
  /** Buffer the offsets below point into; valid until the next `push`. */
  buffer: Buffer = EMPTY
  /** Type byte of the current message (0 for an untagged startup packet). */
  code = 0
  /** Offset of the current message's first byte (its type byte, or its length for a startup packet). */
  start = 0
  /** Offset just past the current message. */
  end = 0
  private pos = 0
  /**
   * Chunks received while a message whose length is known is still incomplete. They are joined once,
   * when the message is whole: joining on every read would copy a large message over and over (a
   * 16 MiB query arriving in 64 KiB reads would be copied 256 times).
   */
  private parts: Buffer[] = []
  private partsLength = 0
  /** Bytes from `pos` the incomplete message needs (0: its header has not arrived). */
  private needed = 0
  /** Bytes copied by `push` so far (for tests of the above). */
  copiedBytes = 0

  /**
   * @param untagged true while the next message is a startup packet (no type byte)
   * @param maxLength largest accepted length field; may be changed between messages
   * @param isValidCode checked before the length, so garbage is reported as a bad type byte, as Postgres does
   */
  constructor(
    public untagged = false,
    public maxLength = MAX_MESSAGE_LENGTH,
    private readonly isValidCode?: (code: number) => boolean,
  ) {}

  /** Appends bytes; the tail of earlier pushes is copied only once a message in it is complete. */
  push(chunk: Buffer): void {
    if (this.needed > 0) {
      this.parts.push(chunk)
      this.partsLength += chunk.length
      if (this.buffer.length - this.pos + this.partsLength < this.needed) return
      const all = [this.buffer.subarray(this.pos), ...this.parts]
      this.parts = []
      this.partsLength = 0
      this.needed = 0
      return this.replace(Buffer.concat(all))
    }
    if (this.pos >= this.buffer.length) {
      this.buffer = chunk
      this.pos = 0
      return
    }
    this.replace(Buffer.concat([this.buffer.subarray(this.pos), chunk]))
  }

  private replace(joined: Buffer): void {
    this.copiedBytes += joined.length
    this.buffer = joined
    this.pos = 0
  }

  /** Advances to the next complete message; false when more bytes are needed. */
  next(): boolean {
    const buf = this.buffer
    const at = this.pos
    const header = this.untagged ? 4 : 5
    if (buf.length - at < header) {
      if (!this.untagged && at < buf.length) this.checkCode(buf[at]!)
      return false
    }
    if (!this.untagged) this.checkCode(buf[at]!)
    const length = buf.readUInt32BE(this.untagged ? at : at + 1)
    const limit = this.untagged ? MAX_STARTUP_PACKET_LENGTH : this.maxLength
    if (length < (this.untagged ? 8 : 4) || length > limit) {
      const error = new FramingError(`invalid message length ${length} (must be between 4 and ${limit})`)
      error.tooLong = length > limit
      throw error
    }
    const end = at + header - 4 + length
    if (end > buf.length) {
      this.needed = end - at
      return false
    }
    this.code = this.untagged ? 0 : buf[at]!
    this.start = at
    this.end = end
    this.pos = end
    return true
  }

  private checkCode(code: number): void {
    if (this.isValidCode !== undefined && !this.isValidCode(code)) {
      throw new FramingError(`invalid frontend message type ${code}`)
    }
  }

  /** Puts the message just returned back, so the next `next()` returns it again (to hold input). */
  rewind(): void {
    this.pos = this.start
  }

  /** Type byte of the next message if at least its first byte has arrived, else -1 (does not consume). */
  peekCode(): number {
    return this.pos < this.buffer.length && !this.untagged ? this.buffer[this.pos]! : -1
  }

  /** Bytes received but not yet returned as messages. */
  get pending(): number {
    return this.buffer.length - this.pos + this.partsLength
  }

  /** Drops everything buffered (after a fatal error). */
  reset(): void {
    this.buffer = EMPTY
    this.pos = 0
    this.parts = []
    this.partsLength = 0
    this.needed = 0
  }
}
