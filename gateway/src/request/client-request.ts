/**
 * A client request as the router sees it: the first message of a transaction (a Query, or the first
 * extended-protocol message of a batch up to Sync/Flush), classified once and only when asked. It
 * points into the framer's buffer and copies nothing, so cutting it costs nothing per query; the
 * statement text is decoded only when the router reads it.
 * @module
 */
import { FrontendCode } from '../protocol/codes.js'
import type { RouteRequest } from '../router/route.js'

/** The request that opens a transaction. One per session, reused (no allocation per request). */
export class ClientRequest implements RouteRequest {
  code = 0
  private buf: Buffer = Buffer.alloc(0)
  private start = 0
  private end = 0
  private keyword?: string

  /** Points at message `buf[start, end)` with type `code`. Valid until the framer's next push. */
  set(code: number, buf: Buffer, start: number, end: number): void {
    this.code = code
    this.buf = buf
    this.start = start
    this.end = end
    this.keyword = undefined
  }

  /** Where the statement text is in the message: a Query's body, a Parse's query string; else empty. */
  private textRange(): [number, number] {
    const { buf, start, end } = this
    if (this.code === FrontendCode.Query) return [start + 5, end - 1]
    if (this.code !== FrontendCode.Parse) return [end, end]
    const nameEnd = buf.indexOf(0, start + 5)
    const textEnd = nameEnd < 0 ? -1 : buf.indexOf(0, nameEnd + 1)
    return nameEnd < 0 || textEnd < 0 || textEnd >= end ? [end, end] : [nameEnd + 1, textEnd]
  }

  get firstKeyword(): string {
    this.keyword ??= firstKeyword(this.buf, ...this.textRange())
    return this.keyword
  }
}

const isLetter = (b: number) => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a
const isBlank = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d)

/** The first word of SQL text, lower-case, after blanks and comments. */
function firstKeyword(buf: Buffer, start: number, end: number): string {
  let at = start
  for (;;) {
    while (at < end && isBlank(buf[at]!)) at++
    if (buf[at] === 0x2d && buf[at + 1] === 0x2d) {
      while (at < end && buf[at] !== 0x0a) at++
    } else if (buf[at] === 0x2f && buf[at + 1] === 0x2a) at = skipBlockComment(buf, at, end)
    else break
  }
  let stop = at
  while (stop < end && isLetter(buf[stop]!)) stop++
  return buf.toString('latin1', at, stop).toLowerCase()
}

/** Past a block comment at `at`; they nest in Postgres. */
function skipBlockComment(buf: Buffer, at: number, end: number): number {
  let depth = 0
  while (at < end) {
    if (buf[at] === 0x2f && buf[at + 1] === 0x2a) {
      depth++
      at += 2
    } else if (buf[at] === 0x2a && buf[at + 1] === 0x2f) {
      at += 2
      if (--depth === 0) return at
    } else at++
  }
  return end
}
