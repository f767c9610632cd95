/**
 * A cheap first look for table versions (issue 22): can this text change a table's rows at all? One
 * pass over its bytes looks for a word that every such statement holds (INSERT, UPDATE, DELETE,
 * MERGE, TRUNCATE, COPY, INTO, CREATE, ALTER, DROP, CALL, DO, EXECUTE, REFRESH, GRANT, REVOKE), in any case, anywhere
 * (in a literal or comment too: that only sends the text on to the classifier). Without one, the text
 * writes no table and the session skips classifying it again: pgbench's SELECT costs about 0.1 µs
 * here rather than a classification. A function that writes (`select my_func()`) is not seen, as the
 * classifier does not see it either.
 * @module
 */

const WORDS = new Set([
  ...['insert', 'update', 'delete', 'merge', 'truncate', 'copy', 'into', 'create', 'alter', 'drop'],
  ...['call', 'do', 'execute', 'refresh', 'grant', 'revoke'],
])

/** True when `buf[start, end)` holds one of the words above, as a whole word. */
export function mayWriteTables(buf: Uint8Array, start: number, end: number): boolean {
  let i = start
  while (i < end) {
    const c = buf[i]!
    if (!isLetter(c)) {
      i++
      continue
    }
    const from = i
    while (i < end && isWordByte(buf[i]!)) i++
    const n = i - from
    if (n >= 2 && n <= 8 && (from === start || !isWordByte(buf[from - 1]!)) && listed(buf, from, i))
      return true
  }
  return false
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
}

function isWordByte(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x24 || c >= 0x80
}

/** Bit `n` of entry `letter` is set when a listed word of length `n` starts with that letter. */
const LENGTHS = new Uint16Array(26)
for (const w of WORDS) LENGTHS[w.charCodeAt(0) - 0x61]! |= 1 << w.length

function listed(buf: Uint8Array, from: number, to: number): boolean {
  if ((LENGTHS[(buf[from]! | 0x20) - 0x61]! & (1 << (to - from))) === 0) return false
  let word = ''
  for (let j = from; j < to; j++) {
    const c = buf[j]!
    if (!isLetter(c)) return false
    word += String.fromCharCode(c | 0x20)
  }
  return WORDS.has(word)
}
