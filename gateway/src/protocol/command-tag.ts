/**
 * CommandComplete tags of the same statement run on several servers, combined into the one tag a
 * single server would have sent: the commands whose tag ends in a row count get the sum of the
 * counts, every other tag must be the same on every server.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COMMANDCOMPLETE
 * @module
 */

/**
 * The commands whose tag ends in a row count. INSERT also carries an OID before the count, always 0
 * since Postgres 12 (tables have no OIDs any more), so it is compared like the command word.
 */
const COUNTED = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'FETCH', 'MOVE'])

/** A tag split into what must match across servers (`prefix`) and the row count, when it has one. */
interface SplitTag {
  prefix: string
  count: bigint | undefined
}

function splitTag(tag: string): SplitTag {
  const space = tag.lastIndexOf(' ')
  if (space < 0) return { prefix: tag, count: undefined }
  const digits = tag.slice(space + 1)
  if (!COUNTED.has(tag.slice(0, tag.indexOf(' '))) || !/^\d+$/.test(digits))
    return { prefix: tag, count: undefined }
  // Row counts are 64-bit in Postgres (uint64 in the executor): BigInt keeps large sums exact.
  return { prefix: tag.slice(0, space), count: BigInt(digits) }
}

/**
 * The tag a client gets for `tags` (one per server): `SELECT 2` and `SELECT 3` give `SELECT 5`;
 * `CREATE TABLE` twice gives `CREATE TABLE`. Undefined when the tags name different commands (or one
 * has a count and another does not), which only happens when the servers ran different statements.
 */
export function mergeCommandTags(tags: readonly string[]): string | undefined {
  const first = tags[0]
  if (first === undefined) return undefined
  const { prefix, count } = splitTag(first)
  let sum = count
  for (let i = 1; i < tags.length; i++) {
    const next = splitTag(tags[i]!)
    if (next.prefix !== prefix || (next.count === undefined) !== (count === undefined)) return undefined
    if (sum !== undefined) sum += next.count!
  }
  return sum === undefined ? prefix : `${prefix} ${sum}`
}

/** The tag of the CommandComplete `buf[start, end)` (its body is one NUL-terminated string). */
export function readCommandTag(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start + 5)
  return buf.toString('utf8', start + 5, nul >= 0 && nul < end ? nul : end)
}
