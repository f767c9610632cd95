/**
 * Frontend messages of the Postgres protocol (v3.0), as bytes. Pure: no I/O.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */

const encoder = new TextEncoder()

/** Builds one message: an optional type byte, the int32 length (counting itself), then the body. */
class Writer {
  private parts: Uint8Array[] = []
  private size = 0
  str(s: string): this {
    return this.bytes(encoder.encode(`${s}\0`))
  }
  int32(n: number): this {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setInt32(0, n)
    return this.bytes(b)
  }
  int16(n: number): this {
    const b = new Uint8Array(2)
    new DataView(b.buffer).setInt16(0, n)
    return this.bytes(b)
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b)
    this.size += b.length
    return this
  }
  /** The message with its header; `type` undefined for StartupMessage. */
  end(type?: string): Uint8Array {
    const head = type === undefined ? 0 : 1
    const out = new Uint8Array(head + 4 + this.size)
    if (type !== undefined) out[0] = type.charCodeAt(0)
    new DataView(out.buffer).setInt32(head, 4 + this.size)
    let at = head + 4
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}

/** StartupMessage: protocol 3.0 and the parameters (user, database, …). */
export function startupMessage(params: Record<string, string>): Uint8Array {
  const w = new Writer().int32(196608)
  for (const [k, v] of Object.entries(params)) w.str(k).str(v)
  return w.str('').end()
}

/** PasswordMessage (cleartext or md5). */
export function passwordMessage(password: string): Uint8Array {
  return new Writer().str(password).end('p')
}

/** SASLInitialResponse. */
export function saslInitialResponse(mechanism: string, data: string): Uint8Array {
  const bytes = encoder.encode(data)
  return new Writer().str(mechanism).int32(bytes.length).bytes(bytes).end('p')
}

/** SASLResponse. */
export function saslResponse(data: string): Uint8Array {
  return new Writer().bytes(encoder.encode(data)).end('p')
}

/** Query (simple protocol). */
export function queryMessage(text: string): Uint8Array {
  return new Writer().str(text).end('Q')
}

/**
 * Parse + Bind + Describe(portal) + Execute + Sync of an unnamed statement with text parameters and
 * text results: one round trip, as Neon's proxy runs HTTP queries.
 */
export function extendedQuery(text: string, params: readonly (string | null)[]): Uint8Array {
  const parse = new Writer().str('').str(text).int16(0).end('P')
  const bind = new Writer().str('').str('').int16(0).int16(params.length)
  for (const p of params) {
    if (p === null) bind.int32(-1)
    else {
      const b = encoder.encode(p)
      bind.int32(b.length).bytes(b)
    }
  }
  const parts = [
    parse,
    bind.int16(0).end('B'),
    new Writer().bytes(encoder.encode('P')).str('').end('D'),
    new Writer().str('').int32(0).end('E'),
    new Writer().end('S'),
  ]
  return concat(parts)
}

/** Terminate. */
export function terminateMessage(): Uint8Array {
  return new Writer().end('X')
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
