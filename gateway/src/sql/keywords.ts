/**
 * The words the classifier cares about, recognized straight from the bytes of a `Word` token,
 * case-insensitively and without making a string: a hash of the case-folded bytes picks a slot of an
 * open-addressing table, and the bytes are then compared with the keyword's.
 *
 * Folding with `| 0x20` is exact on identifier bytes (`[A-Za-z0-9_$\x80-\xff]`): it maps A-Z onto a-z
 * and no other identifier byte onto a letter, digit or folded `_`. Postgres folds only ASCII letters
 * of keywords too.
 * @see https://github.com/postgres/postgres/blob/master/src/common/kwlookup.c
 * @module
 */

const KEYWORDS = [
  // statements (first words)
  ...['abort', 'alter', 'analyse', 'analyze', 'begin', 'call', 'checkpoint', 'close', 'cluster'],
  ...['comment', 'commit', 'copy', 'create', 'deallocate', 'declare', 'delete', 'discard', 'do'],
  ...['drop', 'end', 'execute', 'explain', 'fetch', 'grant', 'import', 'insert', 'listen', 'load'],
  ...['lock', 'merge', 'move', 'notify', 'prepare', 'reassign', 'refresh', 'reindex', 'release'],
  ...['reset', 'revoke', 'rollback', 'savepoint', 'security', 'select', 'set', 'show', 'start'],
  ...['table', 'truncate', 'unlisten', 'update', 'vacuum', 'values', 'with'],
  // transaction control, locking clauses, EXPLAIN and COPY options
  ...['and', 'chain', 'no', 'prepared', 'to', 'transaction', 'work', 'read', 'only', 'write'],
  ...['into', 'for', 'share', 'key', 'from', 'verbose', 'true', 'false', 'on', 'off', 'serializable'],
  // SET, RESET and SHOW
  ...['local', 'session', 'time', 'zone', 'names', 'schema', 'role', 'authorization'],
  ...['characteristics', 'as', 'constraints', 'xml', 'option', 'isolation', 'level', 'all', 'default'],
  // SQL-standard routine bodies (BEGIN ATOMIC … END) and relation positions
  ...['or', 'replace', 'function', 'procedure', 'case', 'join', 'using', 'where', 'group', 'having'],
  ...['window', 'order', 'limit', 'offset', 'union', 'intersect', 'except', 'returning', 'temp'],
  ...['temporary', 'unlogged', 'if', 'not', 'exists', 'lateral', 'rows', 'distinct', 'references'],
  ...['recursive', 'materialized', 'then'],
  // functions that need the primary even inside a SELECT (must stay last: see isPrimaryFunction)
  ...['nextval', 'setval', 'pg_notify', 'txid_current', 'pg_current_xact_id', 'lo_create', 'lo_creat'],
  ...['lo_import', 'lo_unlink', 'lo_put', 'lo_from_bytea', 'pg_advisory_lock', 'pg_advisory_lock_shared'],
  ...['pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_lock'],
  ...['pg_try_advisory_lock_shared', 'pg_try_advisory_xact_lock', 'pg_try_advisory_xact_lock_shared'],
] as const

/** A word {@link lookupKeyword} knows. */
export type KeywordName = (typeof KEYWORDS)[number]

/** Keyword ids (1…n; 0 is "not a keyword"), e.g. `Kw.select`. */
export const Kw = Object.freeze(Object.fromEntries(KEYWORDS.map((k, i) => [k, i + 1]))) as {
  readonly [K in KeywordName]: number
}

/** The lower-case text of each keyword id (index 0: ''). */
export const KEYWORD_TEXT: readonly string[] = ['', ...KEYWORDS]

const FIRST_PRIMARY_FUNCTION = Kw.nextval
const MAX_LEN = Math.max(...KEYWORDS.map((k) => k.length))
const MIN_LEN = Math.min(...KEYWORDS.map((k) => k.length))
const MASK = 1023
const slots = new Uint8Array(MASK + 1)
const offsets = new Int32Array(KEYWORDS.length + 2)
const folded = new Uint8Array(KEYWORDS.reduce((n, k) => n + k.length, 0))

function hash(h: number): number {
  return (h ^ (h >>> 11)) & MASK
}

function build(): void {
  let at = 0
  KEYWORDS.forEach((k, i) => {
    offsets[i + 1] = at
    let h = k.length
    for (let j = 0; j < k.length; j++) {
      const c = k.charCodeAt(j) | 0x20
      folded[at++] = c
      h = (Math.imul(h, 31) + c) | 0
    }
    let slot = hash(h)
    while (slots[slot] !== 0) slot = (slot + 1) & MASK
    slots[slot] = i + 1
  })
  offsets[KEYWORDS.length + 1] = at
}
build()

/** The keyword id of the word `buf[start, end)`, or 0. */
export function lookupKeyword(buf: Uint8Array, start: number, end: number): number {
  const len = end - start
  if (len > MAX_LEN || len < MIN_LEN) return 0
  let h = len
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + (buf[i]! | 0x20)) | 0
  for (let slot = hash(h); ; slot = (slot + 1) & MASK) {
    const id = slots[slot]!
    if (id === 0) return 0
    const from = offsets[id]!
    if (offsets[id + 1]! - from !== len) continue
    let i = 0
    while (i < len && (buf[start + i]! | 0x20) === folded[from + i]) i++
    if (i === len) return id
  }
}

/**
 * The keyword that the quoted identifier `buf[start, end)` (`"nextval"`, quotes included) names
 * exactly, or 0. A quoted name keeps its case, so only one written in lower case can name one of
 * these words; `""` and `U&"…"` escapes never spell one, so those are not read.
 */
export function lookupQuotedKeyword(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || buf[start] !== 0x22 || buf[end - 1] !== 0x22) return 0
  for (let i = start + 1; i < end - 1; i++) {
    const c = buf[i]!
    if (!((c >= 0x61 && c <= 0x7a) || c === 0x5f || (c >= 0x30 && c <= 0x39))) return 0
  }
  return lookupKeyword(buf, start + 1, end - 1)
}

/**
 * Functions whose call makes a SELECT need the primary: they write (sequences, large objects,
 * NOTIFY), assign a transaction id, or take advisory locks whose point is to be shared with the
 * sessions on the primary. Postgres refuses most of them on a hot standby.
 */
export function isPrimaryFunction(id: number): boolean {
  return id >= FIRST_PRIMARY_FUNCTION
}

const PRIMARY_FUNCTION_NAMES: ReadonlySet<string> = new Set(KEYWORD_TEXT.slice(FIRST_PRIMARY_FUNCTION))

/** {@link isPrimaryFunction} of a function's name as a parser gives it (already case-folded). */
export function isPrimaryFunctionName(name: string): boolean {
  return PRIMARY_FUNCTION_NAMES.has(name)
}
