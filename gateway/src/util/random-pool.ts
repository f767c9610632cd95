/**
 * Cryptographically random bytes drawn from a pre-filled block, because one `randomFillSync` call per
 * login (a native crypto job and an OpenSSL call, several µs) is a measurable share of connection setup.
 * @module
 */
import { randomFillSync } from 'node:crypto'

const BLOCK = 4096
const block = Buffer.alloc(BLOCK)
let at = BLOCK

/** Reserves `n` unused bytes of the block (refilling it when short) and returns their offset. */
function take(n: number): number {
  if (at + n > BLOCK) {
    randomFillSync(block)
    at = 0
  }
  const offset = at
  at += n
  return offset
}

/** `n` fresh random bytes (n ≤ 64); each byte is handed out once. */
export function randomBytesPooled(n: number): Buffer {
  const offset = take(n)
  return Buffer.from(block.subarray(offset, offset + n))
}

/** `n` fresh random bytes (n ≤ 64) in base64, without an intermediate copy (for SCRAM nonces). */
export function randomBase64Pooled(n: number): string {
  const offset = take(n)
  return block.toString('base64', offset, offset + n)
}

/** A random signed 32-bit integer (for cancel keys). */
export function randomInt32(): number {
  return block.readInt32BE(take(4))
}
