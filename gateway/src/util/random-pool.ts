/**
 * Cryptographically random bytes drawn from a pre-filled block, because one `randomFillSync` call per
 * login (a syscall and a native transition) is a measurable share of connection setup.
 * @module
 */
import { randomFillSync } from 'node:crypto'

const BLOCK = 4096
const block = Buffer.alloc(BLOCK)
let at = BLOCK

/** `n` fresh random bytes (n ≤ 64); each byte is handed out once. */
export function randomBytesPooled(n: number): Buffer {
  if (at + n > BLOCK) {
    randomFillSync(block)
    at = 0
  }
  const out = Buffer.from(block.subarray(at, at + n))
  at += n
  return out
}

/** A random signed 32-bit integer (for cancel keys). */
export function randomInt32(): number {
  return randomBytesPooled(4).readInt32BE(0)
}
