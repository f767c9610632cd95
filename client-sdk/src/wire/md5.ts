/**
 * MD5 (RFC 1321), for Postgres's md5 password method only: WebCrypto has no MD5, and the method is
 * still what `auth_type = "md5"` pools ask for. Not for anything that needs a secure hash.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */

const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0)
const encoder = new TextEncoder()

/** One 64-byte block's rounds over the state `h` (a, b, c, d). */
function block(h: Int32Array, view: DataView, off: number): void {
  let [a, b, c, d] = [h[0]!, h[1]!, h[2]!, h[3]!]
  for (let i = 0; i < 64; i++) {
    let f: number
    let g: number
    if (i < 16) [f, g] = [(b & c) | (~b & d), i]
    else if (i < 32) [f, g] = [(d & b) | (~d & c), (5 * i + 1) % 16]
    else if (i < 48) [f, g] = [b ^ c ^ d, (3 * i + 5) % 16]
    else [f, g] = [c ^ (b | ~d), (7 * i) % 16]
    const sum = (a + f + K[i]! + view.getInt32(off + g * 4, true)) | 0
    const s = SHIFTS[(i >> 4) * 4 + (i % 4)]!
    ;[a, d, c] = [d, c, b]
    b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + b) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
}

/** The MD5 digest of `bytes` as lower-case hex. */
export function md5Hex(bytes: Uint8Array): string {
  const len = bytes.length
  const padded = new Uint8Array((((len + 8) >>> 6) + 1) << 6)
  padded.set(bytes)
  padded[len] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 8, (len * 8) >>> 0, true)
  view.setUint32(padded.length - 4, Math.floor(len / 0x20000000), true)
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476])
  for (let off = 0; off < padded.length; off += 64) block(h, view, off)
  const out = new Uint8Array(16)
  const outView = new DataView(out.buffer)
  for (let i = 0; i < 4; i++) outView.setInt32(i * 4, h[i]!, true) // little-endian words, whatever the host
  let hex = ''
  for (const b of out) hex += b.toString(16).padStart(2, '0')
  return hex
}

/** The md5 PasswordMessage text: `md5` + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Uint8Array): string {
  const inner = encoder.encode(md5Hex(encoder.encode(password + user)))
  const salted = new Uint8Array(inner.length + salt.length)
  salted.set(inner)
  salted.set(salt, inner.length)
  return `md5${md5Hex(salted)}`
}
